import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Queue, type ConnectionOptions } from 'bullmq';
import pLimit, { type LimitFunction } from 'p-limit';
import {
  ClosedError,
  InvalidCounterNameError,
  InvalidDeltaError,
  ProducerFullError,
  QueueUnavailableError,
} from '../errors/index.js';
import { PAYLOAD_VERSION, type JobPayload } from '../jobs/index.js';
import { counterNameProblem, deltaProblem } from '../validation/index.js';
import { Batch } from './batch.js';
import { addDurably } from './durable-add.js';
import type { CountdConfig } from '../config/index.js';
import {
  producerOptionsFromConfig,
  resolveProducerOptions,
  type ProducerConfigOverrides,
  type ProducerOptions,
} from './producer-options.js';

export interface ProducerEvents {
  /** A batch could not be confirmed by the queue; its increments' promises reject with the same error. */
  error: [QueueUnavailableError];
  /** A batch is durably in the queue. */
  enqueued: [{ jobId: string; increments: number; counters: number }];
}

/**
 * Sends counter increments to the countd queue. Increments linger in memory for at most
 * `lingerMs` and are coalesced per counter, so one BullMQ job carries up to `maxBatch`
 * counters: the queue moves ~10k jobs/s, so batching is what makes millions of increments/s
 * possible.
 *
 * `increment()` resolves once its batch is durably in the queue and rejects when it cannot be
 * (buffer full, queue unreachable past the deadline): an increment is never dropped silently.
 */
export class Producer extends EventEmitter<ProducerEvents> {
  readonly options: Readonly<ProducerOptions>;
  private readonly queue: Queue;
  private readonly sendLimit: LimitFunction;
  private open: Batch | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private seq = 0;
  private pending = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private closing: Promise<void> | undefined;

  constructor(options: Parameters<typeof resolveProducerOptions>[0]) {
    super();
    this.options = resolveProducerOptions(options);
    this.queue = new Queue(this.options.queueName, {
      // Fail fast while the queue Redis is down: the producer retries with the same job id
      // until its deadline, instead of commands waiting unseen in an offline queue.
      connection: { ...this.options.queue, enableOfflineQueue: false } as ConnectionOptions,
    });
    this.queue.on('error', () => undefined); // surfaced through rejected increments
    this.sendLimit = pLimit(this.options.maxInFlight);
  }

  /**
   * A producer for the deployment a config describes: its queue Redis and queue name, the ones
   * the workers consume. `options` set what the config does not (linger, batch size, timeouts).
   */
  static fromConfig(config: CountdConfig, options?: ProducerConfigOverrides): Producer {
    return new Producer(producerOptionsFromConfig(config, options));
  }

  /** Adds `by` (a safe integer, negative allowed) to counter `name`. */
  increment(name: string, by = 1): Promise<void> {
    if (this.closing !== undefined) return Promise.reject(new ClosedError('producer'));
    const nameProblem = counterNameProblem(name);
    if (nameProblem !== undefined)
      return Promise.reject(new InvalidCounterNameError(name, nameProblem));
    const problem = deltaProblem(by);
    if (problem !== undefined) return Promise.reject(new InvalidDeltaError(name, by, problem));
    if (this.pending >= this.options.maxPendingIncrements) {
      this.options.metrics?.enqueueErrors.inc({ reason: 'full' });
      return Promise.reject(new ProducerFullError(this.pending, this.options.maxPendingIncrements));
    }
    let batch = this.open ?? this.openBatch();
    if (!batch.add(name, by)) {
      this.seal();
      batch = this.openBatch();
      batch.add(name, by);
    }
    this.pending++;
    if (batch.deltas.size >= this.options.maxBatch) this.seal();
    return batch.promise;
  }

  /** Sends what lingers and resolves when every increment taken so far is confirmed (rejects if one failed). */
  async flush(): Promise<void> {
    this.seal();
    const results = await Promise.allSettled([...this.inFlight]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  /** Increments taken and not yet confirmed. */
  get pendingIncrements(): number {
    return this.pending;
  }

  /** Flushes, then closes the queue connection. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      let flushError: unknown;
      await this.flush().catch((err: unknown) => (flushError = err));
      await this.queue.close().catch(() => undefined);
      if (flushError !== undefined) throw flushError;
    })();
    return this.closing;
  }

  private openBatch(): Batch {
    const batch = new Batch();
    this.open = batch;
    if (this.options.lingerMs > 0) {
      this.lingerTimer = setTimeout(() => this.seal(), this.options.lingerMs);
    } else {
      queueMicrotask(() => this.seal());
    }
    return batch;
  }

  private seal(): void {
    const batch = this.open;
    if (batch === undefined) return;
    this.open = undefined;
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    const sent = this.sendLimit(() => this.send(batch));
    const tracked = sent.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
    tracked.catch(() => undefined);
  }

  private async send(batch: Batch): Promise<void> {
    const pairs = batch.pairs();
    const jobId = `${this.options.producerId}-${++this.seq}`;
    try {
      if (pairs.length > 0) {
        const payload: JobPayload = {
          v: PAYLOAD_VERSION,
          t: batch.oldest,
          c: pairs,
          n: batch.increments,
          // Drawn once per batch and kept across the add's retries: the batch's identity in
          // the storage nodes' markers, whatever happens to job ids (docs/guarantees.md).
          b: randomBytes(12).toString('base64url'),
        };
        const { attemptTimeoutMs, deadlineMs, keepFailedJobs, minReplicas, replicaWaitMs } =
          this.options;
        await addDurably(
          this.queue,
          {
            jobId,
            payload,
            removeOnComplete: true,
            keepFailedJobs,
            increments: batch.increments,
          },
          {
            attemptTimeoutMs,
            deadlineMs,
            minReplicas,
            replicaWaitMs,
            metrics: this.options.metrics,
          },
        );
        this.options.metrics?.jobsEnqueued.inc();
        this.emit('enqueued', { jobId, increments: batch.increments, counters: pairs.length });
      }
      this.options.metrics?.incrementsEnqueued.inc(batch.increments);
      batch.resolve();
    } catch (err) {
      const error =
        err instanceof QueueUnavailableError
          ? err
          : new QueueUnavailableError(jobId, batch.increments, String(err), err);
      this.options.metrics?.enqueueErrors.inc({ reason: 'unavailable' });
      batch.reject(error);
      if (this.listenerCount('error') > 0) this.emit('error', error);
      throw error;
    } finally {
      this.pending -= batch.increments;
    }
  }
}
