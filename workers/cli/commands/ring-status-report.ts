import { redactUrl } from '../../../src/config/index.js';
import {
  WORKER_ENTRY_STALE_MS,
  type RingChangeRecord,
  type RingRecord,
  type RingState,
} from '../../../src/ring-change/index.js';

/** What `countd ring status --json` prints (docs/ring.md, "Command line"). */
export interface RingStatusReport {
  readonly queue: string;
  readonly epoch: number;
  readonly ring: RingSummary | null;
  readonly change: ChangeSummary | null;
  /** Live workers per ring version they run, lowest version first. */
  readonly workers: ReadonlyArray<{ readonly version: number; readonly count: number }>;
}

export interface RingSummary {
  readonly version: number;
  readonly fingerprint: string;
  readonly algorithm: string;
  readonly pointsPerWeight?: number;
  readonly buckets: number;
  readonly prefix: string;
  readonly nodes: ReadonlyArray<{
    readonly id: string;
    readonly weight: number;
    readonly url?: string;
  }>;
}

export interface ChangeSummary {
  readonly kind: string;
  /** What the change does, e.g. `add d (weight 2)`. */
  readonly description: string;
  readonly from: number;
  readonly to: number;
  readonly phase: string;
  readonly moved: number;
  readonly toMove: number | null;
  /** Counters moved per second between two reads; null when not measured (not moving). */
  readonly ratePerSecond: number | null;
  readonly etaSeconds: number | null;
  readonly startedAt: string;
  readonly updatedAt: string;
}

/** One entry of the worker registry, as a worker writes it. */
export interface WorkerEntry {
  readonly version: number;
  readonly at: number;
}

/**
 * Builds the report from a ring state read (and, while moving, the moved count a moment before:
 * the rate is the difference over the time between the reads).
 */
export function ringStatusReport(
  queue: string,
  state: RingState,
  workers: readonly WorkerEntry[],
  now: number,
  earlier?: { readonly moved: number; readonly at: number; readonly to: number },
): RingStatusReport {
  const counts = new Map<number, number>();
  for (const w of workers) {
    if (now - w.at > WORKER_ENTRY_STALE_MS) continue;
    counts.set(w.version, (counts.get(w.version) ?? 0) + 1);
  }
  return {
    queue,
    epoch: state.epoch,
    ring: state.ring === undefined ? null : ringSummary(state.ring),
    change: state.change === undefined ? null : changeSummary(state.change, now, earlier),
    workers: [...counts].sort(([a], [b]) => a - b).map(([version, count]) => ({ version, count })),
  };
}

export function ringSummary(ring: RingRecord): RingSummary {
  return {
    version: ring.version,
    fingerprint: ring.fingerprint,
    algorithm: ring.algorithm,
    ...(ring.pointsPerWeight === undefined ? {} : { pointsPerWeight: ring.pointsPerWeight }),
    buckets: ring.buckets,
    prefix: ring.prefix,
    // Stored without credentials; redacted again so that a hand-written record cannot leak one.
    nodes: ring.nodes.map((n) =>
      n.url === undefined
        ? { id: n.id, weight: n.weight }
        : { id: n.id, weight: n.weight, url: redactUrl(n.url) },
    ),
  };
}

function changeSummary(
  change: RingChangeRecord,
  now: number,
  earlier: { readonly moved: number; readonly at: number; readonly to: number } | undefined,
): ChangeSummary {
  const seconds = earlier === undefined ? 0 : (now - earlier.at) / 1000;
  const rate =
    earlier !== undefined && earlier.to === change.to.version && seconds > 0
      ? Math.max(0, change.moved - earlier.moved) / seconds
      : null;
  const left = change.toMove === null ? null : Math.max(0, change.toMove - change.moved);
  return {
    kind: change.kind,
    description: describeChange(change.from, change.to),
    from: change.from.version,
    to: change.to.version,
    phase: change.phase,
    moved: change.moved,
    toMove: change.toMove,
    ratePerSecond: rate,
    etaSeconds: left === null || rate === null || rate <= 0 ? null : left / rate,
    startedAt: new Date(change.startedAt).toISOString(),
    updatedAt: new Date(change.updatedAt).toISOString(),
  };
}

/** `add d (weight 2)`, `remove b`, `reweight a 1 → 3`, `layout 4096 → 8192 buckets`. */
export function describeChange(from: RingRecord, to: RingRecord): string {
  const parts: string[] = [];
  const before = new Map(from.nodes.map((n) => [n.id, n]));
  const after = new Map(to.nodes.map((n) => [n.id, n]));
  for (const n of to.nodes) if (!before.has(n.id)) parts.push(`add ${n.id} (weight ${n.weight})`);
  for (const n of from.nodes) if (!after.has(n.id)) parts.push(`remove ${n.id}`);
  for (const n of to.nodes) {
    const old = before.get(n.id);
    if (old !== undefined && old.weight !== n.weight)
      parts.push(`reweight ${n.id} ${old.weight} → ${n.weight}`);
  }
  if (from.buckets !== to.buckets) parts.push(`layout ${from.buckets} → ${to.buckets} buckets`);
  return parts.length === 0 ? 'no change' : parts.join(', ');
}

/** The report as text, for a person. */
export function formatRingStatus(report: RingStatusReport): string {
  const lines: string[] = [];
  const ring = report.ring;
  if (ring === null) {
    lines.push(`queue ${report.queue}: no ring registered yet (no worker has started)`);
  } else {
    const points = ring.pointsPerWeight === undefined ? '' : ` ${ring.pointsPerWeight}/weight`;
    lines.push(
      `ring version ${ring.version}: ${ring.algorithm}${points}, ${ring.buckets} buckets, ` +
        `prefix ${ring.prefix}, fingerprint ${ring.fingerprint.slice(0, 12)} (queue ${report.queue})`,
    );
    lines.push(...nodeTable(ring));
  }
  const change = report.change;
  if (change === null) {
    lines.push('change: none in progress');
  } else {
    lines.push(
      `change: ${change.description} (version ${change.from} → ${change.to}), ` +
        `phase ${change.phase}, started ${change.startedAt}`,
    );
    const rate = change.ratePerSecond === null ? '' : `, ${count(change.ratePerSecond)}/s`;
    const eta = change.etaSeconds === null ? '' : `, ETA ${duration(change.etaSeconds)}`;
    lines.push(`  moved ${movedText(change.moved, change.toMove)}${rate}${eta}`);
  }
  lines.push(
    report.workers.length === 0
      ? `workers: none seen in the last ${WORKER_ENTRY_STALE_MS / 1000} s`
      : `workers: ${report.workers.map((w) => `${w.count} on version ${w.version}`).join(', ')}`,
  );
  return `${lines.join('\n')}\n`;
}

function nodeTable(ring: RingSummary): string[] {
  const rows = ring.nodes.map((n) => [n.id, String(n.weight), n.url ?? '(no URL: 0.1.0 record)']);
  const header = ['node', 'weight', 'url'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const format = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [format(header), ...rows.map(format)];
}

/** `12,000/40,000 (30.0%)`, or `12,000` before the total is counted. */
export function movedText(moved: number, toMove: number | null): string {
  if (toMove === null) return `${count(moved)} (total not counted yet)`;
  const percent = toMove === 0 ? 100 : (moved / toMove) * 100;
  return `${count(moved)}/${count(toMove)} (${percent.toFixed(1)}%)`;
}

export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** `45s`, `12m 5s`, `2h 3m`. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}
