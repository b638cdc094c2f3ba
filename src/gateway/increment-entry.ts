import { counterNameProblem, deltaProblem } from '../validation/index.js';
import { EVENT_TIME_UNSUPPORTED, eventTimeProblem } from './event-time.js';

/** One increment of an HTTP body: `["name", delta]` or `["name", delta, at]`. */
export type IncrementEntry = readonly [string, number] | readonly [string, number, unknown];

/**
 * Why `entry` is not an increment a request may carry, or `undefined`. Names and deltas are
 * checked by the validators every entry point uses; a valid `at` is refused too (see
 * {@link EVENT_TIME_UNSUPPORTED}), an invalid one says why it is not a time. Never throws.
 */
export function incrementEntryProblem(entry: unknown): string | undefined {
  if (!Array.isArray(entry) || entry.length < 2 || entry.length > 3)
    return 'must be ["name", delta] or ["name", delta, at]';
  const nameProblem = counterNameProblem(entry[0]);
  if (nameProblem !== undefined) return `counter name ${nameProblem}`;
  const problem = deltaProblem(entry[1]);
  if (problem !== undefined) return `delta ${problem}`;
  if (entry.length === 3) {
    const timeProblem = eventTimeProblem(entry[2]);
    return timeProblem === undefined ? EVENT_TIME_UNSUPPORTED : `"at" ${timeProblem}`;
  }
  return undefined;
}
