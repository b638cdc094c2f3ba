/**
 * How a retry loop spaces its attempts: exponential from `minMs`, capped at `maxMs`, with a
 * random jitter so that clients that failed together do not retry in lockstep.
 */
export interface Backoff {
  readonly minMs: number;
  readonly maxMs: number;
  /**
   * `full`: anywhere between `minMs` and the ceiling, which spreads retries the most (clients
   * competing for one server: workers that lost the same node).
   * `equal`: between half the ceiling and the ceiling, so every wait keeps growing (a caller
   * with a deadline that wants its attempts spread over it rather than spent early).
   */
  readonly jitter: 'full' | 'equal';
}

// Past 2^20 times minMs the ceiling is maxMs for any sane setting; the cap keeps a long
// outage's attempt count from reaching Infinity.
const MAX_DOUBLINGS = 20;

/** Milliseconds to wait before attempt `attempt + 1`, after `attempt` (1, 2, ...) failed. */
export function backoffDelay(attempt: number, backoff: Backoff, random = Math.random): number {
  const { minMs, maxMs, jitter } = backoff;
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(Math.max(0, attempt - 1), MAX_DOUBLINGS));
  if (jitter === 'equal') return ceiling * (0.5 + random() / 2);
  return minMs + random() * (ceiling - minMs);
}
