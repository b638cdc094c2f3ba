import type { CounterNames } from './load-stream.js';

/**
 * The sum of the deltas the queue confirmed, per counter: what every counter must read once
 * the workers have applied everything. Only counters that appear in a confirmed batch are
 * listed (a total of 0 is listed too: the counter exists, its increments cancelled out).
 */
export class ConfirmedTotals {
  constructor(
    private readonly names: CounterNames,
    private readonly totals: Float64Array,
    private readonly touched: Uint8Array,
  ) {}

  /** Counters listed. */
  get size(): number {
    let n = 0;
    for (let i = 0; i < this.touched.length; i++) n += this.touched[i]!;
    return n;
  }

  /** Sum over every counter. */
  get sum(): number {
    let sum = 0;
    for (let i = 0; i < this.totals.length; i++) sum += this.totals[i]!;
    return sum;
  }

  /** `[name, total]` for every counter listed, hottest (lowest index) first. */
  *entries(): IterableIterator<[string, number]> {
    for (let i = 0; i < this.touched.length; i++) {
      if (this.touched[i] === 1) yield [this.names.name(i), this.totals[i]!];
    }
  }

  toMap(): Map<string, number> {
    return new Map(this.entries());
  }
}
