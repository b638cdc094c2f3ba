/** Increments coalesced in memory until they are sent as one job. */
export class Batch {
  readonly deltas = new Map<string, number>();
  /** Increments taken (before coalescing): what the promise confirms. */
  increments = 0;
  readonly oldest = Date.now();
  readonly promise: Promise<void>;
  resolve!: () => void;
  reject!: (error: Error) => void;

  constructor() {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // The same promise is returned to every increment of the batch; a caller that does not
    // await must not crash the process with an unhandled rejection. Failures are also emitted.
    this.promise.catch(() => undefined);
  }

  /** Adds a delta; false when the sum would leave the safe-integer range (the caller starts a new batch). */
  add(name: string, delta: number): boolean {
    const current = this.deltas.get(name);
    if (current === undefined) {
      this.deltas.set(name, delta);
    } else {
      const sum = current + delta;
      if (!Number.isSafeInteger(sum)) return false;
      this.deltas.set(name, sum);
    }
    this.increments++;
    return true;
  }

  /** The `c` of the job payload: coalesced pairs, zero sums dropped (+1 then -1 costs nothing). */
  pairs(): Array<[string, number]> {
    const out: Array<[string, number]> = [];
    for (const [name, delta] of this.deltas) if (delta !== 0) out.push([name, delta]);
    return out;
  }
}
