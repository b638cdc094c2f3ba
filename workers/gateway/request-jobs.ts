import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Job, Queue, type ConnectionOptions } from 'bullmq';
import type { RedisOptions } from 'ioredis';
import { QueueUnavailableError } from '../../src/errors/index.js';
import { idempotentJob, type RequestBatch } from '../../src/gateway/index.js';
import { JOB_NAME, PAYLOAD_VERSION, type JobPayload } from '../../src/jobs/index.js';
import type { ProducerMetrics } from '../../src/metrics/index.js';
import { PRODUCER_DEFAULTS } from '../../src/producer/index.js';
import { backoffDelay, type Backoff } from '../../src/retry/index.js';

// As the producer's: equal jitter spreads the attempts over the whole deadline.
const ADD_RETRY: Backoff = { minMs: 50, maxMs: 2000, jitter: 'equal' };

/** What became of a request's job. */
export type RequestJobOutcome =
  /** In the queue now (or nothing to count: every sum was 0). */
  | 'added'
  /** Its Idempotency-Key's job was already in the queue with the same increments: not added again. */
  | 'duplicate'
  /** Its Idempotency-Key's job is in the queue with other increments: nothing added. */
  | 'conflict';

export interface RequestJobsOptions {
  readonly queue: RedisOptions;
  readonly queueName: string;
  /**
   * How long a keyed request's job is kept once completed: while BullMQ holds it, it adds no
   * second job under its id. The marker TTL, so a key counts once for at least that long.
   */
  readonly keepKeyedSeconds: number;
  /** One add attempt's timeout. */
  readonly attemptTimeoutMs: number;
  /** Total time an add may take, retries included; past it the request is answered 503. */
  readonly deadlineMs: number;
  readonly metrics?: ProducerMetrics;
}

/**
 * Adds each HTTP request as exactly one job, so a request is all or nothing: one atomic add,
 * retried under one job id. The Producer is not used for them: it coalesces increments of many
 * callers into batches cut at its own sizes, so one request's increments could straddle two
 * jobs and a failure between them would leave half a request counted (and counted again when
 * the client retries). A keyed request's job id and batch token come from its key
 * (`idempotentJob`), and its job is kept completed for `keepKeyedSeconds`: BullMQ itself then
 * refuses the second add of a key atomically, wherever the first one got to.
 */
export class RequestJobs {
  private readonly queue: Queue;
  private readonly idPrefix = `http.${hostname().replace(/[^A-Za-z0-9_.-]/g, '_')}-${process.pid}-${randomBytes(4).toString('hex')}`;
  private seq = 0;

  constructor(private readonly options: RequestJobsOptions) {
    this.queue = new Queue(options.queueName, {
      // Fail fast while the queue Redis is down; the add is retried until the deadline.
      connection: { ...options.queue, enableOfflineQueue: false } as ConnectionOptions,
    });
    this.queue.on('error', () => undefined); // surfaced as 503s
  }

  /** Adds `batch` as one job; rejects with {@link QueueUnavailableError} past the deadline. */
  async add(batch: RequestBatch, idempotencyKey?: string): Promise<RequestJobOutcome> {
    if (batch.pairs.length === 0) return 'added';
    const keyed = idempotencyKey === undefined ? undefined : idempotentJob(idempotencyKey);
    const jobId = keyed?.jobId ?? `${this.idPrefix}-${++this.seq}`;
    const payload: JobPayload = {
      v: PAYLOAD_VERSION,
      t: Date.now(),
      c: batch.pairs,
      n: batch.increments,
      b: keyed?.batchToken ?? randomBytes(12).toString('base64url'),
    };
    const removeOnComplete = keyed === undefined ? true : { age: this.options.keepKeyedSeconds };
    await this.addWithRetry(jobId, payload, removeOnComplete, batch.increments);
    const outcome = keyed === undefined ? 'added' : await this.keyedOutcome(jobId, payload);
    if (outcome === 'added') {
      this.options.metrics?.jobsEnqueued.inc();
      this.options.metrics?.incrementsEnqueued.inc(batch.increments);
    }
    return outcome;
  }

  /** The queue Redis answers. */
  async ready(): Promise<boolean> {
    try {
      await timeout(this.queue.getJobCounts('waiting'), 1000);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.queue.close().catch(() => undefined);
  }

  /**
   * BullMQ answers an add under an existing id with that id, as if it had added it: the job
   * now stored tells. Ours (this request's attempts share `t`) or an earlier request's.
   */
  private async keyedOutcome(jobId: string, payload: JobPayload): Promise<RequestJobOutcome> {
    const stored = await this.withDeadline(Job.fromId(this.queue, jobId), payload.n ?? 0, jobId);
    const data = stored?.data as JobPayload | undefined;
    if (data === undefined) return 'added'; // completed and removed past its age: ours was new
    if (JSON.stringify(data.c) !== JSON.stringify(payload.c)) return 'conflict';
    return data.t === payload.t ? 'added' : 'duplicate';
  }

  private async addWithRetry(
    jobId: string,
    payload: JobPayload,
    removeOnComplete: true | { age: number },
    increments: number,
  ): Promise<void> {
    const { attemptTimeoutMs, deadlineMs } = this.options;
    const deadline = Date.now() + deadlineMs;
    let lastError: unknown;
    for (let attempt = 1; ; attempt++) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      try {
        await timeout(
          this.queue.add(JOB_NAME, payload, {
            jobId,
            removeOnComplete,
            removeOnFail: { count: PRODUCER_DEFAULTS.keepFailedJobs },
            attempts: 1,
          }),
          Math.min(attemptTimeoutMs, left),
        );
        return;
      } catch (err) {
        lastError = err;
      }
      const pause = backoffDelay(attempt, ADD_RETRY);
      if (Date.now() + pause >= deadline) break;
      await sleep(pause);
    }
    throw unavailable(jobId, increments, deadlineMs, lastError);
  }

  private async withDeadline<T>(promise: Promise<T>, increments: number, jobId: string) {
    try {
      return await timeout(promise, this.options.attemptTimeoutMs);
    } catch (err) {
      throw unavailable(jobId, increments, this.options.attemptTimeoutMs, err);
    }
  }
}

function unavailable(jobId: string, increments: number, ms: number, cause: unknown) {
  const detail = cause instanceof Error ? cause.message : String(cause ?? 'deadline passed');
  return new QueueUnavailableError(
    jobId,
    increments,
    `no confirmation within ${ms} ms (${detail}); a late attempt may still land once, under this job id`,
    cause,
  );
}

async function timeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`queue did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}
