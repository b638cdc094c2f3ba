import { MAX_JOB_PAIRS } from '../jobs/index.js';
import type { IncrementEntry } from './increment-entry.js';
import type { BodyProblem } from './increments-body.js';

/** One request's increments, coalesced per counter: the `c` and `n` of its one job. */
export interface RequestBatch {
  readonly ok: true;
  /** `[name, delta]` per counter, in first-seen order; sums of 0 left out. */
  readonly pairs: Array<[string, number]>;
  /** Increments the request carried (its entries). */
  readonly increments: number;
}

/**
 * Sums a request's entries per counter, so the request fits one job (one atomic add: all or
 * nothing, and one job id to retry under). Refused, naming the entry: a counter whose sum in
 * the request leaves the safe-integer range, or more distinct counters than a job may carry.
 */
export function requestBatch(entries: readonly IncrementEntry[]): RequestBatch | BodyProblem {
  const sums = new Map<string, number>();
  for (let i = 0; i < entries.length; i++) {
    const [name, delta] = entries[i]!;
    const sum = (sums.get(name) ?? 0) + delta;
    if (!Number.isSafeInteger(sum)) {
      return {
        ok: false,
        index: i,
        error: `entry ${i}: the deltas of ${JSON.stringify(name)} in this request sum past ±2^53-1`,
      };
    }
    if (!sums.has(name) && sums.size === MAX_JOB_PAIRS) {
      return {
        ok: false,
        index: i,
        error: `entry ${i}: more than ${MAX_JOB_PAIRS} distinct counters in one request; split it`,
      };
    }
    sums.set(name, sum);
  }
  const pairs: Array<[string, number]> = [];
  for (const [name, sum] of sums) if (sum !== 0) pairs.push([name, sum]);
  return { ok: true, pairs, increments: entries.length };
}
