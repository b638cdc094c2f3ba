/** One counter as `countd watch` shows it. */
export interface WatchRow {
  readonly name: string;
  readonly value: bigint;
  /** Value before the last update, when one was seen. */
  readonly previous: bigint | undefined;
  readonly node: string;
  /** Epoch ms of the last update. */
  readonly changedAt: number;
}

/** What the header line says besides the counters. */
export interface WatchStatus {
  readonly glob: string;
  readonly updates: number;
  readonly skipped: number;
  /** Node ids not subscribed right now. */
  readonly down: readonly string[];
  readonly nodes: readonly string[];
}

const COLUMNS = ['VALUE', 'CHANGE', 'NODE', 'UPDATED'] as const;

/**
 * The live table of `countd watch`: the last value of every counter seen, most recently
 * changed first. Keeps at most `maxTracked` counters (the least recently changed go first), so
 * a watch over millions of busy counters stays in bounded memory.
 */
export class WatchTable {
  // Insertion order is recency order: an update deletes and re-inserts its counter.
  private readonly rows = new Map<string, WatchRow>();

  constructor(private readonly maxTracked = 10_000) {}

  get size(): number {
    return this.rows.size;
  }

  update(name: string, value: bigint, node: string, now: number): void {
    const before = this.rows.get(name);
    this.rows.delete(name);
    this.rows.set(name, { name, value, previous: before?.value, node, changedAt: now });
    if (this.rows.size > this.maxTracked) {
      const oldest = this.rows.keys().next();
      if (oldest.done !== true) this.rows.delete(oldest.value);
    }
  }

  /** The most recently changed rows, newest first. */
  newest(count: number): WatchRow[] {
    const all = [...this.rows.values()];
    return all.slice(Math.max(0, all.length - count)).reverse();
  }

  /** The frame's lines (no ANSI): a status line, a header and at most `height - 2` rows. */
  render(status: WatchStatus, now: number, width: number, height: number): string[] {
    const nodes = status.nodes
      .map((id) => (status.down.includes(id) ? `${id}(down)` : id))
      .join(' ');
    const skipped = status.skipped > 0 ? ` · ${status.skipped} malformed skipped` : '';
    const title =
      `countd watch ${JSON.stringify(status.glob)} · ${this.rows.size} counters · ` +
      `${status.updates} updates · nodes ${nodes}${skipped} · Ctrl-C stops`;
    const rows = this.newest(Math.max(0, height - 2)).map((row) => [
      row.name,
      row.value.toString(),
      row.previous === undefined ? '' : signed(row.value - row.previous),
      row.node,
      ago(now - row.changedAt),
    ]);
    const widths = COLUMNS.map((header, i) =>
      Math.max(header.length, ...rows.map((cells) => cells[i + 1]!.length)),
    );
    const fixed = widths.reduce((sum, w) => sum + w + 2, 0);
    const nameWidth = Math.max(
      4,
      Math.min(width - fixed, Math.max(4, ...rows.map((cells) => cells[0]!.length))),
    );
    const line = (cells: readonly string[]): string =>
      [
        fit(cells[0]!, nameWidth).padEnd(nameWidth),
        ...widths.map((w, i) => cells[i + 1]!.padStart(w)),
      ].join('  ');
    return [fit(title, width), line(['NAME', ...COLUMNS]), ...rows.map(line)].map((l) =>
      fit(l, width),
    );
  }
}

function signed(delta: bigint): string {
  return delta > 0n ? `+${delta}` : delta.toString();
}

/** `now`, `12s`, `5m`, `3h`, `2d`. */
export function ago(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return 'now';
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** Cuts `text` to `width` characters, marking the cut with `…`. */
function fit(text: string, width: number): string {
  if (text.length <= width) return text;
  return width <= 1 ? text.slice(0, width) : `${text.slice(0, width - 1)}…`;
}
