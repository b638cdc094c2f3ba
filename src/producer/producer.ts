import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Queue, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import pLimit, { type LimitFunction } from 'p-limit';
import {
  ClosedError,
  InvalidCounterNameError,
  InvalidDeltaError,
  InvalidEventTimeError,
  ProducerFullError,
  QueueUnavailableError,
} from '../errors/index.js';
import {
  PAYLOAD_VERSION,
  PAYLOAD_VERSION_2,
  encodeJobPayload,
  type JobData,
  type PayloadVersion,
} from '../jobs/index.js';
import { CountdKeys } from '../keys/index.js';
import { epochMinute } from '../rollups/index.js';
import { counterNameProblem, deltaProblem } from '../validation/index.js';
import { Batch } from './batch.js';
import { addDurably } from './durable-add.js';
import { eventTimeOf } from './event-time.js';
import { fleetPayloadVersion } from './payload-census.js';
import type { CountdConfig } from '../config/index.js';
import {
  producerOptionsFromConfig,
  resolveProducerOptions,
  type ProducerConfigOverrides,
  type ProducerOptions,
} from './producer-options.js';

/** Options of one {@link Producer.increment}. */
export interface IncrementOptions {
  /**
   * When the event happened: epoch milliseconds or a Date; default now. Bucketed by it in the
   * fleet's rollups (docs/series.md). At most 5 minutes ahead of this clock.
   */
  readonly at?: number | Date | undefined;
}

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
  /** What the fleet reads, as last counted (`payloadVersion: 'auto'`); undefined until then. */
  private fleetVersion: PayloadVersion | undefined;
  /** The first count of the fleet's payload version (settled whether it worked or not). */
  private census: Promise<void> | undefined;
  private censusTimer: NodeJS.Timeout | undefined;
  private censusClient: Redis | undefined;

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
    if (this.options.payloadVersion === 'auto') {
      this.census = this.countFleet();
      this.censusTimer = setInterval(
        () => void this.countFleet(),
        this.options.payloadCensusIntervalMs,
      );
      this.censusTimer.unref();
    }
  }

  /**
   * The payload version batches are written in now: the option, or with `'auto'` what the
   * fleet's workers read as last counted (1 until counted, or when they cannot be).
   */
  get payloadVersion(): PayloadVersion {
    const option = this.options.payloadVersion;
    return option === 'auto' ? (this.fleetVersion ?? PAYLOAD_VERSION) : option;
  }

  /**
   * A producer for the deployment a config describes: its queue Redis and queue name, the ones
   * the workers consume. `options` set what the config does not (linger, batch size, timeouts).
   */
  static fromConfig(config: CountdConfig, options?: ProducerConfigOverrides): Producer {
    return new Producer(producerOptionsFromConfig(config, options));
  }

  /**
   * Adds `by` (a safe integer, negative allowed) to counter `name`, at `options.at` (default
   * now). Rejects with {@link InvalidEventTimeError} an `at` more than 5 minutes ahead, or in
   * another minute than now while the fleet reads only payload version 1.
   */
  increment(name: string, by = 1, options?: IncrementOptions): Promise<void> {
    if (this.closing !== undefined) return Promise.reject(new ClosedError('producer'));
    // A name the open batch holds was checked when it came in: the increments of a hot counter
    // skip the check (measured in docs/performance.md).
    if (this.open?.deltas.has(name) !== true) {
      const nameProblem = counterNameProblem(name);
      if (nameProblem !== undefined)
        return Promise.reject(new InvalidCounterNameError(name, nameProblem));
    }
    const problem = deltaProblem(by);
    if (problem !== undefined) return Promise.reject(new InvalidDeltaError(name, by, problem));
    const now = Date.now();
    const nowMinute = epochMinute(now);
    let minute = nowMinute;
    if (options?.at !== undefined) {
      const at = eventTimeOf(options.at, now);
      if (typeof at !== 'number')
        return Promise.reject(new InvalidEventTimeError(name, options.at, at.problem));
      minute = epochMinute(at);
    }
    if (minute !== nowMinute) {
      // Only version 2 carries another minute: learn what the fleet reads before refusing.
      if (this.options.payloadVersion === 'auto' && this.fleetVersion === undefined)
        return (this.census ?? Promise.resolve()).then(() =>
          this.fleetVersion === undefined
            ? Promise.reject(
                new InvalidEventTimeError(
                  name,
                  options?.at,
                  'the payload version the fleet reads is not known (queue unreachable): an event time in another minute than now cannot be sent',
                ),
              )
            : this.increment(name, by, options),
        );
      if (this.payloadVersion !== PAYLOAD_VERSION_2)
        return Promise.reject(
          new InvalidEventTimeError(
            name,
            options?.at,
            "the fleet's workers read payload version 1 only, which carries no event time: an increment in another minute than now would be counted now (upgrade the workers first)",
          ),
        );
    }
    if (this.pending >= this.options.maxPendingIncrements) {
      this.options.metrics?.enqueueErrors.inc({ reason: 'full' });
      return Promise.reject(new ProducerFullError(this.pending, this.options.maxPendingIncrements));
    }
    // A batch holds the increments without event time of one minute (what version 1 buckets
    // them in), and other minutes only when it is written as version 2.
    const open = this.open;
    if (
      open !== undefined &&
      (open.minute !== nowMinute || (minute !== nowMinute && open.version !== PAYLOAD_VERSION_2))
    )
      this.seal();
    let batch = this.open ?? this.openBatch();
    if (!batch.add(name, by, minute)) {
      this.seal();
      batch = this.openBatch();
      batch.add(name, by, minute);
    }
    this.pending++;
    if (batch.size >= this.options.maxBatch) this.seal();
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
      if (this.censusTimer !== undefined) clearInterval(this.censusTimer);
      await this.census?.catch(() => undefined);
      this.censusClient?.disconnect();
      await this.queue.close().catch(() => undefined);
      if (flushError !== undefined) throw flushError;
    })();
    return this.closing;
  }

  /** Counts what the fleet reads (docs/series.md); a failed count keeps the last one. */
  private async countFleet(): Promise<void> {
    try {
      // Its own connection: the queue's fails fast while offline, and BullMQ keeps its client.
      this.censusClient ??= new Redis({
        ...this.options.queue,
        lazyConnect: true,
        maxRetriesPerRequest: 1,
      });
      this.censusClient.on('error', () => undefined);
      this.fleetVersion = await fleetPayloadVersion(
        this.censusClient,
        new CountdKeys(''),
        this.options.queueName,
        this.queue.opts.prefix ?? 'bull',
        Date.now(),
      );
    } catch {
      // The queue is unreachable: the increments' own sends report it.
    }
  }

  private openBatch(): Batch {
    const batch = new Batch(this.payloadVersion);
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
        // Drawn once per batch and kept across the add's retries: the batch's identity in
        // the storage nodes' markers, whatever happens to job ids (docs/guarantees.md).
        const b = randomBytes(12).toString('base64url');
        const t = batch.oldest;
        const n = batch.increments;
        // `'auto'` writes version 2 only for a batch that needs it (event times in other
        // minutes): a 0.1.0 worker the census has not seen yet still reads everything else.
        const asV2 =
          batch.version === PAYLOAD_VERSION_2 &&
          (this.options.payloadVersion === PAYLOAD_VERSION_2 || batch.hasOtherMinutes);
        const payload: JobData = asV2
          ? encodeJobPayload({ v: PAYLOAD_VERSION_2, t, c: pairs, m: batch.minute, n, b })
          : { v: PAYLOAD_VERSION, t, c: pairs.map(([name, delta]) => [name, delta]), n, b };
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
