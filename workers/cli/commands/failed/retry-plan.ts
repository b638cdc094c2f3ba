import { MalformedJobError } from '../../../../src/errors/index.js';
import { parseJobPayload, retryPayload, type JobPayload } from '../../../../src/jobs/index.js';
import type { RetryRecord } from './retry-record.js';

/**
 * How a worker's failure reason starts when storage nodes refused some of a job's counters
 * (int64 overflow, non-integer field, wrong type) and applied the others. A job failed by
 * countd 0.1.0 carries only this text: BullMQ keeps the reason, not the error's class.
 */
export const REFUSED_REASON_PREFIX = 'counters refused';

/** What is known of a failed job: its data, its failure, and the retry records in its log. */
export interface FailedJobFacts {
  readonly id: string;
  readonly data: unknown;
  readonly failedReason: string;
  readonly attemptsMade: number;
  readonly records: readonly RetryRecord[];
}

/**
 * What `countd failed retry` does with a failed job, decided from its facts alone:
 * - `unapplied`: the worker recorded the pairs it did not apply (`r`); rewrite the payload to
 *   `retried` (those pairs, a batch token derived from the job's) and re-queue it.
 * - `rewritten`: the payload already is such a rewrite and the job was not processed since
 *   (a retry interrupted between rewrite and re-queue); re-queue it as is.
 * - `whole`: nothing of the job was applied as far as countd knows; re-queue it as is (its
 *   markers on the storage nodes skip any part a worker did apply before failing).
 * - `malformed`: the payload (or its `r`) is not a countd payload; it cannot be applied.
 * - `unrecorded`: counters were refused but the worker did not record which pairs it applied
 *   (countd 0.1.0, or writing `r` failed); re-queueing would count those twice.
 * - `nothing-left`: `r` is empty: every pair was applied; re-queueing would count them twice.
 */
export type RetryPlan =
  | { readonly kind: 'unapplied'; readonly payload: JobPayload; readonly retried: JobPayload }
  | { readonly kind: 'rewritten'; readonly payload: JobPayload }
  | { readonly kind: 'whole'; readonly payload: JobPayload }
  | { readonly kind: 'malformed'; readonly reason: string }
  | { readonly kind: 'unrecorded'; readonly payload: JobPayload }
  | { readonly kind: 'nothing-left'; readonly payload: JobPayload };

/** Plans the retry of one failed job; reads nothing but `job`. */
export function planRetry(job: FailedJobFacts): RetryPlan {
  const payload = parse(job.data, job.id);
  if (!('v' in payload)) return payload;
  if (payload.r !== undefined) {
    if (!Array.isArray(payload.r)) {
      return { kind: 'malformed', reason: `"r" must be an array of [name, delta]` };
    }
    const retried = retryPayload(payload);
    if (retried === undefined) return { kind: 'nothing-left', payload };
    const checked = parse(retried, job.id);
    if (!('v' in checked)) return { kind: 'malformed', reason: `"r": ${checked.reason}` };
    return { kind: 'unapplied', payload, retried: checked };
  }
  if (!job.failedReason.startsWith(REFUSED_REASON_PREFIX)) return { kind: 'whole', payload };
  const own = job.records.some(
    (record) => record.batch === payload.b && record.attempts === job.attemptsMade,
  );
  return own ? { kind: 'rewritten', payload } : { kind: 'unrecorded', payload };
}

/** Why a plan does not re-queue the job, or undefined when it does. */
export function planProblem(plan: RetryPlan): string | undefined {
  switch (plan.kind) {
    case 'malformed':
      return `malformed payload (${plan.reason}): it cannot be applied as is`;
    case 'unrecorded':
      return (
        'counters were refused, but the worker that failed it did not record which pairs it ' +
        'applied (countd 0.1.0, or the record could not be written): re-queueing it would ' +
        'count those twice'
      );
    case 'nothing-left':
      return 'it records no unapplied pairs ("r" is empty): re-queueing it would count them twice';
    default:
      return undefined;
  }
}

function parse(
  data: unknown,
  jobId: string,
): JobPayload | { readonly kind: 'malformed'; readonly reason: string } {
  try {
    return parseJobPayload(data, jobId);
  } catch (err) {
    if (err instanceof MalformedJobError) return { kind: 'malformed', reason: err.reason };
    throw err;
  }
}
