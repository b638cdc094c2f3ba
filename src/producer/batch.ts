import { PAYLOAD_VERSION, type JobPair, type PayloadVersion } from '../jobs/index.js';
import { epochMinute } from '../rollups/index.js';

/**
 * Increments coalesced in memory until they are sent as one job: per counter in the minute the
 * batch was opened (`minute`), and, in a version 2 batch, per (counter, minute) for increments
 * whose event time is in another minute.
 */
export class Batch {
  /** Deltas of the batch's own minute, per counter. */
  readonly deltas = new Map<string, number>();
  /** Deltas of other minutes (version 2 only), per minute then counter; absent until one comes. */
  private others: Map<number, Map<string, number>> | undefined;
  private otherPairs = 0;
  /** Increments taken (before coalescing): what the promise confirms. */
  increments = 0;
  readonly oldest = Date.now();
  /** The epoch minute the batch was opened in: that of every increment without an event time. */
  readonly minute = epochMinute(this.oldest);
  readonly promise: Promise<void>;
  resolve!: () => void;
  reject!: (error: Error) => void;

  /**
   * `version`: the newest payload version it may be sent as, fixed when it opens (the producer
   * sends version 2 only when the batch needs it, unless told to always).
   */
  constructor(readonly version: PayloadVersion = PAYLOAD_VERSION) {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // The same promise is returned to every increment of the batch; a caller that does not
    // await must not crash the process with an unhandled rejection. Failures are also emitted.
    this.promise.catch(() => undefined);
  }

  /**
   * Adds a delta in epoch minute `minute` (the batch's own by default; another one only in a
   * version 2 batch); false when the sum would leave the safe-integer range (the caller starts
   * a new batch).
   */
  add(name: string, delta: number, minute = this.minute): boolean {
    let deltas = this.deltas;
    if (minute !== this.minute) {
      this.others ??= new Map();
      let of = this.others.get(minute);
      if (of === undefined) this.others.set(minute, (of = new Map()));
      deltas = of;
    }
    const current = deltas.get(name);
    if (current === undefined) {
      deltas.set(name, delta);
      if (deltas !== this.deltas) this.otherPairs++;
    } else {
      const sum = current + delta;
      if (!Number.isSafeInteger(sum)) return false;
      deltas.set(name, sum);
    }
    this.increments++;
    return true;
  }

  /** Whether an increment of another minute than the batch's own came (only version 2 carries it). */
  get hasOtherMinutes(): boolean {
    return this.otherPairs > 0;
  }

  /** Distinct (counter, minute) pairs: what `maxBatch` bounds. */
  get size(): number {
    return this.deltas.size + this.otherPairs;
  }

  /**
   * The job's pairs, zero sums dropped (+1 then -1 costs nothing): `[name, delta]` for the
   * batch's own minute, `[name, delta, minute]` for the others.
   */
  pairs(): JobPair[] {
    const out: JobPair[] = [];
    for (const [name, delta] of this.deltas) if (delta !== 0) out.push([name, delta]);
    if (this.others !== undefined)
      for (const [minute, deltas] of this.others)
        for (const [name, delta] of deltas) if (delta !== 0) out.push([name, delta, minute]);
    return out;
  }
}
