import { MalformedJobError } from '../errors/index.js';
import { counterNameProblem, deltaProblem } from '../validation/index.js';
import { describeValue } from './describe-value.js';
import { MAX_JOB_PAIRS, type JobPair } from './job-payload.js';

// Date's own range, in minutes: an `m` past it is no time at all.
const MAX_EPOCH_MINUTE = Math.floor(8.64e15 / 60_000);

/**
 * The pairs of a version 2 payload: `c` flat (`name, delta, name, delta, ...`), `m` one epoch
 * minute for every pair or an array of one per pair. Returns the pairs nested, with their own
 * minute when `m` is an array, and `m` when it is one number. Errors name the pair index.
 */
export function parseV2Pairs(
  c: unknown,
  m: unknown,
  jobId: string | undefined,
): { pairs: JobPair[]; minute: number | undefined } {
  if (!Array.isArray(c))
    throw new MalformedJobError(
      `"c" must be a flat array of name, delta, ..., got ${describeValue(c)}`,
      jobId,
    );
  if (c.length % 2 !== 0)
    throw new MalformedJobError(
      `"c" has ${c.length} items: a flat array of name, delta pairs has an even number`,
      jobId,
    );
  const count = c.length / 2;
  if (count > MAX_JOB_PAIRS)
    throw new MalformedJobError(`"c" has ${count} pairs, more than ${MAX_JOB_PAIRS}`, jobId);
  let minutes: readonly unknown[] | undefined;
  let minute: number | undefined;
  if (Array.isArray(m)) {
    if (m.length !== count)
      throw new MalformedJobError(
        `"m" has ${m.length} minutes for ${count} pairs (one per pair, or one number)`,
        jobId,
      );
    minutes = m;
  } else if (isMinute(m)) {
    minute = m;
  } else {
    throw new MalformedJobError(
      `"m" must be an epoch minute or an array of one per pair, got ${describeValue(m)}`,
      jobId,
    );
  }
  const pairs: JobPair[] = new Array<JobPair>(count);
  for (let i = 0; i < count; i++) {
    const name: unknown = c[2 * i];
    const delta: unknown = c[2 * i + 1];
    const nameProblem = counterNameProblem(name);
    if (nameProblem !== undefined)
      throw new MalformedJobError(`pair ${i}: counter name ${nameProblem}`, jobId);
    const problem = deltaProblem(delta);
    if (problem !== undefined)
      throw new MalformedJobError(`pair ${i} (${String(name)}): delta ${problem}`, jobId);
    if (minutes === undefined) {
      pairs[i] = [name as string, delta as number];
    } else {
      const own: unknown = minutes[i];
      if (!isMinute(own))
        throw new MalformedJobError(
          `pair ${i} (${String(name)}): minute must be an epoch minute, got ${describeValue(own)}`,
          jobId,
        );
      pairs[i] = [name as string, delta as number, own];
    }
  }
  return { pairs, minute };
}

function isMinute(value: unknown): value is number {
  return (
    typeof value === 'number' &&
    Number.isSafeInteger(value) &&
    value >= 0 &&
    value <= MAX_EPOCH_MINUTE
  );
}
