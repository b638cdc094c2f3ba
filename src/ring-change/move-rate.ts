/** Counters moved per second over the last few seconds, from samples of the running total. */
export class MoveRate {
  private readonly samples: Array<{ readonly at: number; readonly moved: number }> = [];

  constructor(private readonly windowMs = 5000) {}

  /** Records the total moved at `at` (ms) and returns the rate over the window. */
  sample(at: number, moved: number): number {
    this.samples.push({ at, moved });
    while (this.samples.length > 2 && at - this.samples[0]!.at > this.windowMs)
      this.samples.shift();
    const first = this.samples[0]!;
    const seconds = (at - first.at) / 1000;
    return seconds > 0 ? Math.max(0, moved - first.moved) / seconds : 0;
  }

  /** Forgets the samples (a phase that does not move starts). */
  reset(): void {
    this.samples.length = 0;
  }
}
