import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'bullmq';
import type { WorkerStateSource } from '../metrics/index.js';
import { StorageLayout } from '../storage/index.js';
import { asError } from './as-error.js';
import { Backpressure } from './backpressure.js';
import { FLUSH_ERROR_REASONS } from './classify-flush-error.js';
import { registerFleetRing } from './fleet-registration.js';
import { FlushBuffer } from './flush-buffer.js';
import { Flusher, type FlusherEvents } from './flusher.js';
import { HeldJobLifecycle } from './held-job-lifecycle.js';
import { JobLeases } from './job-leases.js';
import { NodeIdentities } from './node-identities.js';
import { NodeWriter } from './node-writer.js';
import { ReplicaAcks } from './replica-acks.js';
import { WorkerConnections } from './worker-connections.js';
import type { CountdConfig } from '../config/index.js';
import {
  resolveWorkerOptions,
  workerOptionsFromConfig,
  type CounterWorkerOptions,
  type WorkerConfigOverrides,
} from './worker-options.js';

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
 *
 * A composition of parts with one owner each: {@link WorkerConnections} (the clients),
 * {@link HeldJobLifecycle} (every held job's state), {@link Backpressure} (when to take jobs),
 * {@link Flusher} (applies to the nodes); this class wires them and runs start and close.
 */
export class CounterWorker extends EventEmitter<CounterWorkerEvents> {
  readonly options: Readonly<CounterWorkerOptions>;
  private readonly connections: WorkerConnections;
  private readonly identities: NodeIdentities;
  private readonly buffer: FlushBuffer;
  private readonly jobs: HeldJobLifecycle;
  private readonly backpressure: Backpressure;
  private readonly flusher: Flusher;
  private readonly worker: Worker;
  private readonly fleetRingKey: string;
  private timer: NodeJS.Timeout | undefined;
  private started: Promise<void> | undefined;
  private closing: Promise<boolean> | undefined;

  constructor(options: Parameters<typeof resolveWorkerOptions>[0]) {
    super();
    const o = (this.options = resolveWorkerOptions(options));
    const layout = new StorageLayout(o.ring, o.prefix, o.buckets);
    this.fleetRingKey = layout.keys.fleetRing(o.queueName);
    const connections = (this.connections = new WorkerConnections(o));
    const nodeIndex = new Map(o.nodes.map((node, i) => [node.id, i]));
    const nodeIndexOf = (name: string): number => {
      const index = nodeIndex.get(o.ring.locate(name));
      if (index === undefined) throw new Error(`ring placed a counter on an unknown node`);
      return index;
    };
    this.identities = new NodeIdentities(
      connections.queue,
      layout.keys,
      o.queueName,
      o.nodes.map((node, i) => ({ id: node.id, redis: connections.storage[i]! })),
    );
    this.buffer = new FlushBuffer(o.nodes.length, nodeIndexOf, o.maxScriptCounters);
    this.worker = new Worker(o.queueName, (job, token) => this.jobs.receive(job, token), {
      connection: connections.consumer,
      autorun: false,
      concurrency: o.concurrency,
      lockDuration: o.lockDurationMs,
      stalledInterval: Math.max(1000, Math.floor(o.lockDurationMs / 2)),
      // Redelivery is always safe (markers), so a job is never failed for having stalled: a
      // worker crash must not turn acknowledged increments into failed jobs.
      maxStalledCount: Number.MAX_SAFE_INTEGER,
    });
    this.backpressure = new Backpressure(o, {
      flush: () => this.requestFlush(),
      // The queue keeps the jobs until the buffer drains.
      pause: () => void this.worker.pause(true),
      resume: () => this.worker.resume(),
    });
    this.jobs = new HeldJobLifecycle(
      this.buffer,
      {
        lockKeyOf: (jobId) => `${this.worker.toKey(jobId)}:lock`,
        lockDurationMs: o.lockDurationMs,
        metrics: o.metrics,
      },
      {
        held: () => this.backpressure.taken(this.load()),
        released: () => this.backpressure.released(this.load()),
        confirmed: (jobId, nodes) => this.flusher.shrinkMarkers(jobId, nodes),
        jobFailed: (e) => this.emit('jobFailed', e),
        queueError: (err) => this.emit('queueError', err),
      },
    );
    const apply = {
      markerTtlSeconds: o.markerTtlSeconds,
      markerGraceSeconds: o.markerGraceSeconds,
      channel: o.publishUpdates ? layout.keys.updatesChannel() : undefined,
      publishChunk: o.publishChunk,
    };
    this.flusher = new Flusher(
      this.buffer,
      o.nodes.map((node, i) => new NodeWriter(node.id, connections.storage[i]!, layout, apply)),
      nodeIndexOf,
      {
        // Job locks are BullMQ's keys: the lease claims them where BullMQ keeps them.
        leases: new JobLeases(
          connections.queue,
          this.worker.keys.stalled!,
          o.lockDurationMs,
          o.maxClockSkewMs,
        ),
        identities: this.identities,
        replicas: new ReplicaAcks({ min: o.minReplicas, waitMs: o.replicaWaitMs }, o.metrics),
        jobs: this.jobs,
      },
      {
        parallelism: o.flushParallelism,
        retry: { minMs: o.retryMinMs, maxMs: o.retryMaxMs, jitter: 'full' },
        maxShrinkPerApply: 2000,
      },
      o.metrics,
    );
    this.flusher.on('flushed', (e) => this.emit('flushed', e));
    this.flusher.on('error', (e) => this.emit('error', e));
    this.flusher.on('refused', (e) => this.emit('refused', e));
    this.flusher.on('lost', (e) => this.emit('lost', e));
    this.worker.on('error', (err) => this.emit('queueError', err));
    this.worker.on('completed', (job) => this.jobs.settled(job));
    this.worker.on('failed', (job) => this.jobs.settled(job));
    o.metrics?.observe(this.stateSource());
    o.metrics?.initSeries(
      o.nodes.map((n) => n.id),
      FLUSH_ERROR_REASONS,
    );
  }

  /**
   * A worker for the deployment a config describes: its queue, nodes, ring (registered as the
   * fleet's), layout and tuning. `options` set what the config does not (metrics, ...).
   */
  static fromConfig(config: CountdConfig, options?: WorkerConfigOverrides): CounterWorker {
    return new CounterWorker(workerOptionsFromConfig(config, options));
  }

  /** Checks the fleet's ring, then starts taking jobs and flushing on the interval. */
  start(): Promise<void> {
    this.started ??= (async () => {
      const { fleet, flushIntervalMs } = this.options;
      await this.connections.open();
      if (fleet !== undefined)
        await registerFleetRing(this.connections.queue, this.fleetRingKey, fleet);
      // Before the first job: a node that lost its data or is another fleet's stops the start.
      await this.identities.verifyAll();
      this.timer = setInterval(() => this.requestFlush(), flushIntervalMs);
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
    const answering = await this.connections.answering();
    return this.started !== undefined && answering;
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
    return this.jobs.count;
  }

  private async shutdown(timeoutMs: number): Promise<boolean> {
    this.backpressure.stop();
    if (this.timer !== undefined) clearInterval(this.timer);
    const deadline = AbortSignal.timeout(timeoutMs);
    // BullMQ's close() stops fetching but waits for the jobs it already handed out; those are
    // held here until flushed, so keep flushing until it resolves.
    let workerClosed = false;
    const closed = this.worker.close().finally(() => (workerClosed = true));
    const drained = (async () => {
      while (!workerClosed && !deadline.aborted) {
        if (this.jobs.count > 0) await this.flusher.flushAll();
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
    const reportError = (err: unknown) => this.emit('queueError', asError(err));
    if (timedOut) {
      this.flusher.abandon();
      // BullMQ memoizes close(): close(true) returns the close() above, which waits for the held
      // jobs' processor promises forever, so they are released first (see releaseAll).
      this.jobs.releaseAll();
      await this.worker.close(true).catch(reportError);
    }
    // Every step runs even when an earlier one fails: a failed QUIT must not leave the other
    // clients connected and the process alive.
    await this.connections.close(reportError);
    // Not an 'error' event: nothing failed; the caller learns it from the result (false).
    return !timedOut;
  }

  private requestFlush(): void {
    this.flusher.flushAll().catch((err: unknown) => this.emit('error', asError(err)));
  }

  private load() {
    return {
      counters: this.buffer.counters,
      bytes: this.buffer.bytes + this.jobs.bytes,
      jobsSinceFlush: this.buffer.jobsSinceFlush,
    };
  }

  private stateSource(): WorkerStateSource {
    return {
      bufferCounters: () => this.buffer.counters,
      bufferJobs: () => this.jobs.count,
      bufferBytes: () => this.buffer.bytes + this.jobs.bytes,
      oldestUnflushedAgeSeconds: () => this.jobs.oldestAgeSeconds(),
      ringNodes: () => this.options.nodes.length,
      nodeIdentityOk: () =>
        this.options.nodes.map((node, n) => ({ node: node.id, ok: this.identities.ok(n) })),
      queueCounts: () => this.connections.queueCounts(),
      nodeReplication: () => this.connections.nodeReplication(),
    };
  }
}
