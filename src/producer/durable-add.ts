import { setTimeout as sleep } from 'node:timers/promises';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { QueueUnavailableError, ReplicasShortError } from '../errors/index.js';
import { JOB_NAME, type JobData } from '../jobs/index.js';
import type { ProducerMetrics } from '../metrics/index.js';
import { backoffDelay, type Backoff } from '../retry/index.js';

// Equal jitter: every pause keeps growing, so the attempts spread over the whole deadline.
const ADD_RETRY: Backoff = { minMs: 50, maxMs: 2000, jitter: 'equal' };

/** One job to add, under a fixed id. */
export interface DurableJob {
  readonly jobId: string;
  /** As stored: version 1 nested, version 2 flat. */
  readonly payload: JobData;
  /** `true` for ordinary jobs; `{ age }` keeps a completed job so its id is refused that long. */
  readonly removeOnComplete: true | { age: number };
  readonly keepFailedJobs: number;
  /** Increments it carries, for the error. */
  readonly increments: number;
}

/** How hard to try and what counts as durable. */
export interface DurableAddOptions {
  /** One attempt's timeout. */
  readonly attemptTimeoutMs: number;
  /** Total time, retries included. */
  readonly deadlineMs: number;
  /** Replicas of the queue Redis that must have the add (`WAIT`); 0: the primary's reply. */
  readonly minReplicas: number;
  readonly replicaWaitMs: number;
  readonly metrics?: ProducerMetrics | undefined;
}

/**
 * Adds the job, retrying with the same id until it is durable or the deadline passes: BullMQ
 * does not add a job whose id exists, so a retry after an attempt that did land (reply lost,
 * timeout) does not enqueue it twice. With `minReplicas`, an add counts once `WAIT` says that
 * many replicas have it; short of them the add is retried too: after a failover to a replica
 * that never got it, the retry adds it; on a server that has it, BullMQ writes a `duplicated`
 * event, a write the next `WAIT` covers. Every countd writer of jobs (the Producer, the
 * gateway's one-job requests) adds through here, so none confirms less than the others.
 */
export async function addDurably(
  queue: Queue,
  job: DurableJob,
  options: DurableAddOptions,
): Promise<void> {
  const { attemptTimeoutMs, deadlineMs } = options;
  const deadline = Date.now() + deadlineMs;
  let lastError: unknown;
  let replicasShort: ReplicasShortError | undefined;
  for (let attempt = 1; ; attempt++) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    try {
      await withTimeout(
        queue.add(JOB_NAME, job.payload, {
          jobId: job.jobId,
          removeOnComplete: job.removeOnComplete,
          removeOnFail: { count: job.keepFailedJobs },
          attempts: 1,
        }),
        Math.min(attemptTimeoutMs, left),
      );
      await waitForReplicas(queue, Math.min(attemptTimeoutMs, left), options);
      return;
    } catch (err) {
      lastError = err;
      if (err instanceof ReplicasShortError) replicasShort = err;
    }
    const pause = backoffDelay(attempt, ADD_RETRY);
    if (Date.now() + pause >= deadline) break;
    await sleep(pause);
  }
  // Replicas short of the count is why the add never became durable, also when the last
  // attempt, left with the end of the deadline only, ran out of time.
  const cause =
    lastError instanceof AttemptTimeoutError && replicasShort !== undefined
      ? replicasShort
      : lastError;
  throw queueUnavailable(job.jobId, job.increments, deadlineMs, cause);
}

/** The error for a job whose add was not confirmed within `ms`. */
export function queueUnavailable(
  jobId: string,
  increments: number,
  ms: number,
  cause: unknown,
): QueueUnavailableError {
  const detail = cause instanceof Error ? cause.message : String(cause ?? 'deadline passed');
  return new QueueUnavailableError(
    jobId,
    increments,
    `no confirmation within ${ms} ms (${detail}); a late attempt may still land once, under this job id`,
    cause,
  );
}

/**
 * Resolves once `minReplicas` replicas of the queue Redis acknowledged everything the queue's
 * connection wrote, the add just made included; throws {@link ReplicasShortError}.
 */
async function waitForReplicas(
  queue: Queue,
  timeoutMs: number,
  options: DurableAddOptions,
): Promise<void> {
  const { minReplicas, replicaWaitMs } = options;
  if (minReplicas === 0) return;
  // BullMQ's Redis backend runs on ioredis: its connection is the one that made the add.
  const client = (await queue.getBackend().client) as unknown as Pick<Redis, 'call'>;
  const acks = Number(
    await withTimeout(client.call('WAIT', minReplicas, replicaWaitMs), timeoutMs + replicaWaitMs),
  );
  if (acks >= minReplicas) return;
  options.metrics?.replicaWaitsShort.inc();
  throw new ReplicasShortError('queue', acks, minReplicas, replicaWaitMs);
}

/** An attempt that got no answer in its time. */
class AttemptTimeoutError extends Error {
  override readonly name = 'AttemptTimeoutError';
}

/** Rejects after `ms` unless `promise` settled first. */
export async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new AttemptTimeoutError(`queue did not answer within ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
