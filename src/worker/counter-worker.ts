import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Queue,
  UnrecoverableError,
  WaitingError,
  Worker,
  type ConnectionOptions,
  type Job,
} from 'bullmq';
import { Redis } from 'ioredis';
import { MalformedJobError } from '../errors/index.js';
import { incrementCount, jobInstance, parseJobPayload, type JobPayload } from '../jobs/index.js';
import type { WorkerStateSource } from '../metrics/index.js';
import { StorageLayout } from '../storage/index.js';
import { registerFleetRing } from './fleet-registration.js';
import { FlushBuffer } from './flush-buffer.js';
import { FLUSH_ERROR_REASONS, Flusher, type FlusherEvents } from './flusher.js';
import { HeldJob } from './held-job.js';
import { HeldJobs } from './held-jobs.js';
import { quitOrDisconnect } from './close-connection.js';
import { JobLeases } from './job-leases.js';
import { NodeIdentities } from './node-identities.js';
import { NodeWriter } from './node-writer.js';
import { unappliedReason } from './unapplied-reason.js';
import { resolveWorkerOptions, type CounterWorkerOptions } from './worker-options.js';

const SHUTDOWN_RELEASE = 'released at the shutdown deadline; redelivered once its lock expires';
const LOST = 'its lock expired while this worker held it: another worker owns it now';

// Rough heap cost of one held [name, delta] pair beyond the name's characters.
const PAIR_OVERHEAD_BYTES = 56;

export interface CounterWorkerEvents extends FlusherEvents {
  /** A job failed for good (malformed payload, refused counters); it is kept in BullMQ's failed set. */
  jobFailed: [{ jobId: string; reason: string }];
  /** A queue connection or BullMQ error; BullMQ reconnects by itself. */
  queueError: [Error];
}

/**
 * The aggregating worker: takes jobs from the BullMQ queue, buffers their increments by node,
 * and flushes them with the atomic apply script. A job's processor promise stays pending until
 * all its increments are durable, so a crash loses nothing (BullMQ redelivers stalled jobs) and
 * the per-(job, node) markers make that redelivery count nothing twice.
 */
export class CounterWorker extends EventEmitter<CounterWorkerEvents> {
  readonly options: Readonly<CounterWorkerOptions>;
  private readonly layout: StorageLayout;
  private readonly nodeIndex: Map<string, number>;
  private readonly storage: Redis[];
  private readonly buffer: FlushBuffer;
  private readonly flusher: Flusher;
  private readonly worker: Worker;
  private readonly queueClient: Redis;
  private readonly identities: NodeIdentities;
  private queueForCounts: Queue | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly heldJobs = new HeldJobs();
  /** Jobs done here whose completion the queue has not confirmed yet: id -> nodes of its parts. */
  private readonly completing = new Map<string, { nodes: readonly number[]; at: number }>();
  private paused = false;
  private abandoned = false;
  private started: Promise<void> | undefined;
  private closing: Promise<boolean> | undefined;

  constructor(options: Parameters<typeof resolveWorkerOptions>[0]) {
    super();
    const o = (this.options = resolveWorkerOptions(options));
    this.layout = new StorageLayout(o.ring, o.prefix, o.buckets);
    this.nodeIndex = new Map(o.nodes.map((node, i) => [node.id, i]));
    this.storage = o.nodes.map(
      (node) =>
        new Redis({
          ...node.connection,
          // Fail fast while a node is down: the flusher retries with backoff and jobs stay held,
          // rather than commands piling up in an offline queue.
          enableOfflineQueue: false,
          commandTimeout: o.commandTimeoutMs,
          maxRetriesPerRequest: 1,
          connectionName: `countd-worker-${node.id}`,
        }),
    );
    for (const redis of this.storage) redis.on('error', () => undefined); // reported through flush errors
    const settings = {
      markerTtlSeconds: o.markerTtlSeconds,
      markerGraceSeconds: o.markerGraceSeconds,
      channel: o.publishUpdates ? this.layout.keys.updatesChannel() : undefined,
      publishChunk: o.publishChunk,
    };
    const writers = o.nodes.map(
      (node, i) => new NodeWriter(node.id, this.storage[i]!, this.layout, settings),
    );
    this.queueClient = new Redis({ ...o.queue, maxRetriesPerRequest: null, lazyConnect: true });
    this.queueClient.on('error', () => undefined);
    this.identities = new NodeIdentities(
      this.queueClient,
      this.layout.keys,
      o.queueName,
      o.nodes.map((node, i) => ({ id: node.id, redis: this.storage[i]! })),
    );
    const nodeIndexOf = (name: string): number => {
      const index = this.nodeIndex.get(o.ring.locate(name));
      if (index === undefined) throw new Error(`ring placed a counter on an unknown node`);
      return index;
    };
    this.buffer = new FlushBuffer(o.nodes.length, nodeIndexOf, o.maxScriptCounters);
    this.worker = new Worker(o.queueName, (job, token) => this.process(job, token), {
      connection: { ...o.queue, maxRetriesPerRequest: null } as ConnectionOptions,
      autorun: false,
      concurrency: o.concurrency,
      lockDuration: o.lockDurationMs,
      stalledInterval: Math.max(1000, Math.floor(o.lockDurationMs / 2)),
      // Redelivery is always safe (markers), so a job is never failed for having stalled: a
      // worker crash must not turn acknowledged increments into failed jobs.
      maxStalledCount: Number.MAX_SAFE_INTEGER,
    });
    // Job locks are BullMQ's keys: the lease claims them where BullMQ keeps them.
    const leases = new JobLeases(
      this.queueClient,
      this.worker.keys.stalled!,
      o.lockDurationMs,
      o.maxClockSkewMs,
    );
    this.flusher = new Flusher(
      this.buffer,
      writers,
      nodeIndexOf,
      {
        leases,
        identities: this.identities,
        jobDone: (job) => this.jobDone(job),
        jobLost: (job) => this.jobLost(job),
      },
      {
        parallelism: o.flushParallelism,
        retryMinMs: o.retryMinMs,
        retryMaxMs: o.retryMaxMs,
        maxShrinkPerApply: 2000,
      },
      o.metrics,
    );
    this.flusher.on('flushed', (e) => this.emit('flushed', e));
    this.flusher.on('error', (e) => this.emit('error', e));
    this.flusher.on('refused', (e) => this.emit('refused', e));
    this.worker.on('error', (err) => this.emit('queueError', err));
    const settled = (job: Job | undefined) => {
      const entry = job?.id === undefined ? undefined : this.completing.get(job.id);
      if (entry === undefined || job?.id === undefined) return;
      this.completing.delete(job.id);
      this.flusher.shrinkMarkers(job.id, entry.nodes);
    };
    this.worker.on('completed', settled);
    this.worker.on('failed', settled);
    this.flusher.on('lost', (e) => this.emit('lost', e));
    o.metrics?.observe(this.stateSource());
    o.metrics?.initSeries(
      o.nodes.map((n) => n.id),
      FLUSH_ERROR_REASONS,
    );
  }

  /** Checks the fleet's ring, then starts taking jobs and flushing on the interval. */
  start(): Promise<void> {
    this.started ??= (async () => {
      await this.queueClient.connect();
      if (this.options.fleet !== undefined) {
        await registerFleetRing(
          this.queueClient,
          this.layout.keys.fleetRing(this.options.queueName),
          this.options.fleet,
        );
      }
      // Before the first job: a node that lost its data or is another fleet's stops the start.
      await this.identities.verifyAll();
      this.timer = setInterval(() => this.requestFlush(), this.options.flushIntervalMs);
      void this.worker.run().catch((err: unknown) => this.emit('queueError', asError(err)));
    })();
    return this.started;
  }

  /** Flushes everything buffered now; resolves when it is durable (or retrying continues after close). */
  flush(): Promise<void> {
    return this.flusher.flushAll();
  }

  /** True when the queue Redis and every storage node answer, and no node is refused for its identity. */
  async ready(): Promise<boolean> {
    if (this.options.nodes.some((_, n) => !this.identities.ok(n))) return false;
    const all = [this.queueClient, ...this.storage];
    const answers = await Promise.all(
      all.map((r) =>
        r.ping().then(
          () => true,
          () => false,
        ),
      ),
    );
    return this.started !== undefined && answers.every(Boolean);
  }

  /**
   * Stops taking jobs, flushes what is held and completes those jobs. Past `timeoutMs` it gives
   * up: jobs not yet durable stay uncompleted and BullMQ redelivers them to another worker.
   * Idempotent: later calls return the first call's promise. Resolves to true when drained.
   */
  close(timeoutMs = 30_000): Promise<boolean> {
    this.closing ??= this.shutdown(timeoutMs);
    return this.closing;
  }

  /** Jobs currently held (not yet durable everywhere). */
  get held(): number {
    return this.heldJobs.count;
  }

  private async shutdown(timeoutMs: number): Promise<boolean> {
    if (this.timer !== undefined) clearInterval(this.timer);
    const deadline = AbortSignal.timeout(timeoutMs);
    // BullMQ's close() stops fetching but waits for the jobs it already handed out; those are
    // held here until flushed, so keep flushing until it resolves.
    let workerClosed = false;
    const closed = this.worker.close().finally(() => (workerClosed = true));
    const drained = (async () => {
      while (!workerClosed && !deadline.aborted) {
        if (this.heldJobs.count > 0) await this.flusher.flushAll();
        else await sleep(10);
      }
      await closed;
    })();
    const timedOut = await Promise.race([
      drained.then(() => false),
      new Promise<boolean>((resolve) =>
        deadline.addEventListener('abort', () => resolve(true), { once: true }),
      ),
    ]);
    const steps: Array<() => Promise<unknown>> = [];
    if (timedOut) {
      this.abandoned = true;
      this.flusher.abandon();
      // BullMQ memoizes close(): close(true) returns the close() above, which waits for the held
      // jobs' processor promises forever. Release them without completing or failing them: on a
      // WaitingError BullMQ leaves the job active and stops renewing its lock, so its stalled
      // check redelivers it (the markers make that safe for parts already applied).
      for (const job of this.heldJobs.jobs()) job.finish(new WaitingError(SHUTDOWN_RELEASE));
      steps.push(() => this.worker.close(true));
    }
    steps.push(() => this.queueForCounts?.close() ?? Promise.resolve());
    steps.push(() => quitOrDisconnect(this.queueClient));
    for (const redis of this.storage) steps.push(() => quitOrDisconnect(redis));
    // Every step runs even when an earlier one fails (STYLE: close() is thorough).
    for (const step of steps)
      await step().catch((err: unknown) => this.emit('queueError', asError(err)));
    // Not an 'error' event: nothing failed; the caller learns it from the result (false).
    return !timedOut;
  }

  private async process(job: Job, token: string | undefined): Promise<void> {
    // A job handed out while the shutdown deadline passed is released like the held ones.
    if (this.abandoned) throw new WaitingError(SHUTDOWN_RELEASE);
    const metrics = this.options.metrics;
    metrics?.jobsReceived.inc();
    const jobId = job.id ?? `${job.name}-unknown`;
    let payload: JobPayload;
    try {
      payload = parseJobPayload(job.data, jobId);
    } catch (err) {
      const reason = err instanceof MalformedJobError ? err.reason : String(err);
      metrics?.jobsFailed.inc({ reason: 'malformed' });
      this.emit('jobFailed', { jobId, reason });
      throw new UnrecoverableError(err instanceof Error ? err.message : reason);
    }
    metrics?.incrementsReceived.inc(incrementCount(payload));
    if (payload.c.length === 0) return;
    let bytes = 0;
    for (const [name] of payload.c) bytes += name.length * 2 + PAIR_OVERHEAD_BYTES;
    const held = new HeldJob(jobId, payload, bytes, {
      token: token ?? '',
      lockKey: `${this.worker.toKey(jobId)}:lock`,
      instance: jobInstance(job.data, { id: jobId, timestamp: job.timestamp }),
    });
    this.buffer.add(held);
    this.heldJobs.add(held);
    this.checkLimits();
    try {
      await held.done;
    } catch (err) {
      if (held.unapplied.length > 0) await this.recordUnapplied(job, payload, held);
      throw err;
    }
  }

  /**
   * Writes into the failed job what was not applied (`r`), so `countd failed retry` applies
   * exactly that. Retried a few times: without it a retry could not tell applied from not.
   */
  private async recordUnapplied(job: Job, payload: JobPayload, held: HeldJob): Promise<void> {
    // A part whose refusals are no longer known leaves `r` unwritten: `failed retry` then
    // refuses the job rather than re-apply a guess.
    if (held.unapplied.some((u) => u.name === '?')) return;
    const r = held.unapplied.map((u) => [u.name, u.delta] as const);
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        await job.updateData({ ...payload, r });
        return;
      } catch (err) {
        if (attempt === 3) this.emit('queueError', asError(err));
        else await sleep(100 * attempt);
      }
    }
  }

  private checkLimits(): void {
    const o = this.options;
    const bytes = this.buffer.bytes + this.heldJobs.bytes;
    if (
      this.buffer.counters >= o.maxBufferCounters ||
      bytes >= o.maxBufferBytes ||
      this.buffer.jobsSinceFlush >= Math.max(1, Math.floor(o.concurrency / 2))
    ) {
      this.requestFlush();
    }
    if (!this.paused && bytes >= 2 * o.maxBufferBytes) {
      // Backpressure: the queue keeps the jobs until the buffer drains.
      this.paused = true;
      void this.worker.pause(true);
    }
  }

  private requestFlush(): void {
    this.flusher.flushAll().catch((err: unknown) => this.emit('error', asError(err)));
  }

  private resumeIfDrained(): void {
    if (
      this.paused &&
      this.buffer.bytes + this.heldJobs.bytes < this.options.maxBufferBytes &&
      this.closing === undefined
    ) {
      this.paused = false;
      this.worker.resume();
    }
  }

  private jobDone(job: HeldJob): void {
    const metrics = this.options.metrics;
    this.heldJobs.remove(job);
    this.awaitCompletion(job);
    this.resumeIfDrained();
    metrics?.lag.observe(Math.max(0, Date.now() - job.payload.t) / 1000);
    if (job.unapplied.length === 0) {
      metrics?.incrementsFlushed.inc(incrementCount(job.payload));
      job.finish();
      return;
    }
    const applied = job.payload.c.length - job.unapplied.length;
    metrics?.incrementsFlushed.inc(Math.max(0, applied));
    metrics?.jobsFailed.inc({ reason: 'refused' });
    const reason = unappliedReason(job.unapplied);
    this.emit('jobFailed', { jobId: job.id, reason });
    job.finish(new UnrecoverableError(reason));
  }

  private awaitCompletion(job: HeldJob): void {
    const now = performance.now();
    // A completion that never got through leaves its entry; it goes once far past the lock
    // (the job was redelivered by then, and its markers keep their long TTL: no harm).
    for (const [id, entry] of this.completing) {
      if (now - entry.at < 4 * this.options.lockDurationMs) break;
      this.completing.delete(id);
    }
    this.completing.set(job.id, { nodes: job.nodes, at: now });
  }

  /** A held job is another worker's now: forget it without completing or failing it. */
  private jobLost(job: HeldJob): void {
    this.heldJobs.remove(job);
    this.options.metrics?.jobsLost.inc();
    // WaitingError: BullMQ leaves the job alone (it is active under the new owner's lock).
    job.finish(new WaitingError(LOST));
    this.resumeIfDrained();
  }

  private stateSource(): WorkerStateSource {
    return {
      bufferCounters: () => this.buffer.counters,
      bufferJobs: () => this.heldJobs.count,
      bufferBytes: () => this.buffer.bytes + this.heldJobs.bytes,
      oldestUnflushedAgeSeconds: () => this.heldJobs.oldestAgeSeconds(),
      ringNodes: () => this.options.nodes.length,
      nodeIdentityOk: () =>
        this.options.nodes.map((node, n) => ({ node: node.id, ok: this.identities.ok(n) })),
      queueCounts: async () => {
        this.queueForCounts ??= new Queue(this.options.queueName, { connection: this.queueClient });
        return this.queueForCounts.getJobCounts(
          'waiting',
          'active',
          'delayed',
          'failed',
          'prioritized',
        );
      },
    };
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
