import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Job, Queue, type ConnectionOptions } from 'bullmq';
import type { RedisOptions } from 'ioredis';
import { idempotentJob, type RequestBatch } from '../../src/gateway/index.js';
import { PAYLOAD_VERSION, type JobDataV1, type JobPayload } from '../../src/jobs/index.js';
import type { ProducerMetrics } from '../../src/metrics/index.js';
import {
  addDurably,
  PRODUCER_DEFAULTS,
  queueUnavailable,
  withTimeout,
} from '../../src/producer/index.js';

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
  /** Replicas of the queue Redis an add must reach before the request is answered 200. */
  readonly minReplicas: number;
  readonly replicaWaitMs: number;
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
    const payload: JobDataV1 = {
      v: PAYLOAD_VERSION,
      t: Date.now(),
      c: batch.pairs,
      n: batch.increments,
      b: keyed?.batchToken ?? randomBytes(12).toString('base64url'),
    };
    const removeOnComplete = keyed === undefined ? true : { age: this.options.keepKeyedSeconds };
    const { attemptTimeoutMs, deadlineMs, minReplicas, replicaWaitMs, metrics } = this.options;
    await addDurably(
      this.queue,
      {
        jobId,
        payload,
        removeOnComplete,
        keepFailedJobs: PRODUCER_DEFAULTS.keepFailedJobs,
        increments: batch.increments,
      },
      { attemptTimeoutMs, deadlineMs, minReplicas, replicaWaitMs, metrics },
    );
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
      await withTimeout(this.queue.getJobCounts('waiting'), 1000);
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

  private async withDeadline<T>(promise: Promise<T>, increments: number, jobId: string) {
    try {
      return await withTimeout(promise, this.options.attemptTimeoutMs);
    } catch (err) {
      throw queueUnavailable(jobId, increments, this.options.attemptTimeoutMs, err);
    }
  }
}
