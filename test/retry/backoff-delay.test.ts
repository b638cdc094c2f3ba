import { describe, expect, it } from 'vitest';
import { backoffDelay, type Backoff } from '../../src/retry/index.js';

const full: Backoff = { minMs: 50, maxMs: 5000, jitter: 'full' };
const equal: Backoff = { minMs: 50, maxMs: 2000, jitter: 'equal' };

describe('backoffDelay', () => {
  it('doubles the ceiling per attempt up to maxMs', () => {
    const top = () => 1;
    expect([1, 2, 3, 4].map((a) => backoffDelay(a, full, top))).toEqual([50, 100, 200, 400]);
    expect(backoffDelay(20, full, top)).toBe(5000);
    // A long outage: the attempt count grows without the ceiling becoming Infinity or NaN.
    expect(backoffDelay(10_000, full, top)).toBe(5000);
  });

  it('full jitter: anywhere from minMs to the ceiling', () => {
    expect(backoffDelay(4, full, () => 0)).toBe(50);
    expect(backoffDelay(4, full, () => 0.5)).toBe(225);
  });

  it('equal jitter: from half the ceiling to the ceiling', () => {
    expect(backoffDelay(1, equal, () => 0)).toBe(25);
    expect(backoffDelay(3, equal, () => 0)).toBe(100);
    expect(backoffDelay(3, equal, () => 1)).toBe(200);
    expect(backoffDelay(30, equal, () => 0)).toBe(1000);
  });

  it('stays within its bounds with the real random source', () => {
    for (let attempt = 1; attempt <= 30; attempt++) {
      const ms = backoffDelay(attempt, full);
      expect(ms).toBeGreaterThanOrEqual(full.minMs);
      expect(ms).toBeLessThanOrEqual(full.maxMs);
    }
  });
});
