/**
 * A token bucket for a smooth rate: tokens accrue continuously at `rate` per second up to a
 * small burst (20 ms worth), so a paused generator does not catch up in one spike.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  readonly burst: number;

  constructor(
    readonly rate: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!Number.isFinite(rate) || rate <= 0) throw new RangeError(`rate must be > 0, got ${rate}`);
    this.burst = Math.max(1, rate * 0.02);
    this.tokens = this.burst;
    this.last = this.now();
  }

  /** Takes up to `wanted` whole tokens; returns how many were taken (0 when empty). */
  take(wanted: number): number {
    this.refill();
    const granted = Math.min(wanted, Math.floor(this.tokens));
    this.tokens -= granted;
    return granted;
  }

  /** Milliseconds until at least one token is there. */
  waitMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : ((1 - this.tokens) / this.rate) * 1000;
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }
}
