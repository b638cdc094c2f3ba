import type { Job } from 'bullmq';
import type { JobPair } from '../../../../src/jobs/index.js';
import type { FailedJobFacts, RetryPlan } from './retry-plan.js';
import { planProblem } from './retry-plan.js';

/** `[name, delta]`, or `[name, delta, minute]` for a version 2 job whose pairs have their own. */
type Pairs = readonly JobPair[];

/**
 * One failed job as `countd failed list --json` prints it (documented in docs/failed-jobs.md).
 * `counters` and `unapplied` are null when the payload is malformed, `unapplied` also when the
 * worker recorded nothing.
 */
export interface FailedJobView {
  readonly id: string;
  readonly reason: string;
  /** When it failed (BullMQ's `finishedOn`), ISO 8601; and how long ago, in whole seconds. */
  readonly failedAt: string | null;
  readonly ageSeconds: number | null;
  /** When the job was added to the queue, ISO 8601. */
  readonly enqueuedAt: string;
  readonly attempts: number;
  readonly counters: Pairs | null;
  readonly unapplied: Pairs | null;
  /** What `countd failed retry` would do: re-queue the unapplied pairs, the whole job, the
   * payload a retry already rewrote, or nothing (`why` says why). */
  readonly retry: 'unapplied' | 'whole' | 'rewritten' | 'no';
  readonly why: string | null;
}

const RETRY_OF: Record<RetryPlan['kind'], FailedJobView['retry']> = {
  unapplied: 'unapplied',
  rewritten: 'rewritten',
  whole: 'whole',
  malformed: 'no',
  unrecorded: 'no',
  'nothing-left': 'no',
};

export function failedJobView(
  job: Job,
  facts: FailedJobFacts,
  plan: RetryPlan,
  now: number,
): FailedJobView {
  const failedOn = job.finishedOn;
  const payload = plan.kind === 'malformed' ? undefined : plan.payload;
  return {
    id: facts.id,
    reason: facts.failedReason,
    failedAt: failedOn === undefined ? null : new Date(failedOn).toISOString(),
    ageSeconds: failedOn === undefined ? null : Math.max(0, Math.floor((now - failedOn) / 1000)),
    enqueuedAt: new Date(job.timestamp).toISOString(),
    attempts: facts.attemptsMade,
    counters: payload?.c ?? null,
    unapplied: plan.kind === 'unapplied' ? plan.retried.c : (payload?.r ?? null),
    retry: RETRY_OF[plan.kind],
    why: planProblem(plan) ?? null,
  };
}
