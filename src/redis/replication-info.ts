/** What `INFO replication` says of a server: its role, its online replicas and how far behind they are. */
export interface ReplicationInfo {
  readonly role: 'primary' | 'replica';
  readonly replicas: number;
  /** Seconds since the slowest online replica's last acknowledgement. */
  readonly lagSeconds: number;
  /** `master_repl_offset` minus the lowest online replica offset. */
  readonly lagBytes: number;
}

/**
 * Parses the text of `INFO replication`. Replicas not `online` (still syncing) are not counted:
 * `WAIT` does not count them either.
 */
export function parseReplicationInfo(text: string): ReplicationInfo {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  const role = fields.get('role') === 'master' ? 'primary' : 'replica';
  const offset = Number(fields.get('master_repl_offset') ?? 0);
  let replicas = 0;
  let lagSeconds = 0;
  let lowest = offset;
  for (const [key, value] of fields) {
    if (!/^slave\d+$/.test(key)) continue;
    const entry = new Map(value.split(',').map((kv) => kv.split('=') as [string, string]));
    if (entry.get('state') !== 'online') continue;
    replicas++;
    lagSeconds = Math.max(lagSeconds, Number(entry.get('lag') ?? 0));
    lowest = Math.min(lowest, Number(entry.get('offset') ?? offset));
  }
  return { role, replicas, lagSeconds, lagBytes: role === 'primary' ? offset - lowest : 0 };
}
