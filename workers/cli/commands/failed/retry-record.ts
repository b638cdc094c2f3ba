/**
 * The line `countd failed retry` writes into a job's BullMQ log just before it rewrites the
 * job's payload to its unapplied pairs. The rewrite drops `r`, so once it is done the payload
 * alone no longer tells "rewritten, not re-queued yet" (a retry interrupted between its two
 * steps: safe to re-queue as is) from "failed by a worker that recorded nothing" (applied
 * pairs unknown: not safe). The line names the new batch and the attempt count of the failure;
 * a later run that finds both unchanged knows the payload is its own rewrite.
 */
export interface RetryRecord {
  /** Batch token `b` of the rewritten payload. */
  readonly batch: string;
  /** `attemptsMade` of the job when it was rewritten: any later processing raises it. */
  readonly attempts: number;
}

const LINE =
  /^countd failed retry: payload rewritten to \d+ unapplied pairs?, batch (\S+), after attempt (\d+)$/;

/** The log line for a rewrite to `pairs` unapplied pairs under batch `batch`. */
export function retryRecordLine(batch: string, pairs: number, attempts: number): string {
  return `countd failed retry: payload rewritten to ${pairs} unapplied pair${pairs === 1 ? '' : 's'}, batch ${batch}, after attempt ${attempts}`;
}

/** The records among a job's log lines (other lines are ignored). */
export function parseRetryRecords(lines: readonly string[]): RetryRecord[] {
  const records: RetryRecord[] = [];
  for (const line of lines) {
    const match = LINE.exec(line);
    if (match !== null) records.push({ batch: match[1]!, attempts: Number(match[2]) });
  }
  return records;
}
