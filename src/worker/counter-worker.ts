import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'bullmq';
import type { WorkerStateSource } from '../metrics/index.js';
import type { RingChangeView } from '../metrics/worker-metrics.js';
import { layoutOf, type RingState } from '../ring-change/index.js';
import { StorageLayout } from '../storage/index.js';
import { asError } from './as-error.js';
import { Backpressure } from './backpressure.js';
import { FLUSH_ERROR_REASONS } from './classify-flush-error.js';
import { initialRingRecord, registerFleetRing } from './fleet-registration.js';
import type { FlusherEvents } from './flusher.js';
import { HeldJobLifecycle, type JobPlacer } from './held-job-lifecycle.js';
import { JobLeases } from './job-leases.js';
import { ReplicaAcks } from './replica-acks.js';
import { RingFollower } from './ring-follower.js';
import { RingGeneration, type GenerationContext } from './ring-generation.js';
import { WorkerConnections } from './worker-connections.js';
import { WorkerRegistry } from './worker-registry.js';
import type { CountdConfig } from '../config/index.js';
import {
  resolveWorkerOptions,
  workerOptionsFromConfig,
  type CounterWorkerOptions,
  type WorkerConfigOverrides,
} from './worker-options.js';

/** A switch to a newer ring version, done without a restart. */
export interface RingSwitch {
  readonly from: number;
  readonly to: number;
  readonly nodes: readonly string[];
  /** Held jobs released back to the queue (their parts not applied under `from` never are here). */
  readonly released: number;
}

export interface CounterWorkerEvents extends FlusherEvents {
  /** A job failed for good (malformed payload, refused counters); it is kept in BullMQ's failed set. */
  jobFailed: [{ jobId: string; reason: string }];
  /** A queue connection or BullMQ error; BullMQ reconnects by itself. */
  queueError: [Error];
  /** The worker writes under a newer ring version now. */
  switched: [RingSwitch];
}

/**
 * The aggregating worker: takes jobs from the BullMQ queue, buffers their increments by node,
 * and flushes them with the atomic apply script. A job's processor promise stays pending until
 * all its increments are durable, so a crash loses nothing (BullMQ redelivers stalled jobs) and
 * the per-(job, node) markers make that redelivery count nothing twice.
 *
 * It follows the fleet's ring (docs/ring.md, "Workers"): when a change made a newer version
 * current, it releases its held jobs and goes on under the new ring without a restart.
 *
 * A composition of parts with one owner each: {@link WorkerConnections} (the queue client),
 * {@link RingGeneration} (nodes, buffer and flusher of one ring version), {@link HeldJobLifecycle}
 * (every held job's state), {@link Backpressure} (when to take jobs), {@link RingFollower} (the
 * ring records as last read); this class wires them and runs start, switch and close.
 */
export class CounterWorker extends EventEmitter<CounterWorkerEvents> {
  readonly options: Readonly<CounterWorkerOptions>;
  private readonly connections: WorkerConnections;
  private readonly keys: StorageLayout['keys'];
  private readonly jobs: HeldJobLifecycle;
  private readonly backpressure: Backpressure;
  private readonly worker: Worker;
  private readonly registry: WorkerRegistry;
  private readonly context: GenerationContext;
  private generation: RingGeneration | undefined;
  /** Pending while the worker switches versions: received jobs wait for the new generation. */
  private placing: Promise<RingGeneration> | undefined;
  private follower: RingFollower | undefined;
  private timer: NodeJS.Timeout | undefined;
  private started: Promise<void> | undefined;
  private closing: Promise<boolean> | undefined;

  constructor(options: Parameters<typeof resolveWorkerOptions>[0]) {
    super();
    const o = (this.options = resolveWorkerOptions(options));
    this.keys = new StorageLayout(o.ring, o.prefix, o.buckets).keys;
    const connections = (this.connections = new WorkerConnections(o));
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
      admit: (jobs) => (this.worker.concurrency = jobs),
    });
    this.jobs = new HeldJobLifecycle(
      () => this.placer(),
      {
        lockKeyOf: (jobId) => `${this.worker.toKey(jobId)}:lock`,
        loadData: (jobId) => connections.queue.hget(this.worker.toKey(jobId), 'data'),
        lockDurationMs: o.lockDurationMs,
        metrics: o.metrics,
      },
      {
        held: () => this.backpressure.taken(this.load()),
        released: () => this.backpressure.released(this.load()),
        confirmed: (jobId, nodes) => this.generation?.flusher.shrinkMarkers(jobId, nodes),
        jobFailed: (e) => this.emit('jobFailed', e),
        queueError: (err) => this.emit('queueError', err),
      },
    );
    this.registry = new WorkerRegistry(connections.queue, this.keys, o.queueName, (err) =>
      this.emit('queueError', err),
    );
    this.context = {
      queue: connections.queue,
      queueName: o.queueName,
      configNodes: o.nodes,
      commandTimeoutMs: o.commandTimeoutMs,
      maxScriptCounters: o.maxScriptCounters,
      apply: {
        markerTtlSeconds: o.markerTtlSeconds,
        markerGraceSeconds: o.markerGraceSeconds,
        channel: o.publishUpdates ? this.keys.updatesChannel() : undefined,
        publishChunk: o.publishChunk,
      },
      flusher: {
        // Job locks are BullMQ's keys: the lease claims them where BullMQ keeps them.
        leases: new JobLeases(
          connections.queue,
          this.worker.keys.stalled!,
          o.lockDurationMs,
          o.maxClockSkewMs,
        ),
        replicas: new ReplicaAcks({ min: o.minReplicas, waitMs: o.replicaWaitMs }, o.metrics),
        jobs: this.jobs,
      },
      flusherOptions: {
        parallelism: o.flushParallelism,
        retry: { minMs: o.retryMinMs, maxMs: o.retryMaxMs, jitter: 'full' },
        maxShrinkPerApply: 2000,
      },
      retry: { minMs: o.retryMinMs, maxMs: o.retryMaxMs, jitter: 'full' },
      ...(o.metrics === undefined ? {} : { metrics: o.metrics }),
      onScreenError: (err) => this.emit('error', err),
    };
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

  /**
   * Checks the fleet's ring (a worker joins only with the ring registered now, at its version),
   * then starts taking jobs, flushing on the interval and following the ring.
   */
  start(): Promise<void> {
    this.started ??= (async () => {
      const o = this.options;
      await this.connections.open();
      let state: RingState | undefined;
      if (o.fleet !== undefined)
        state = await registerFleetRing(
          this.connections.queue,
          this.keys,
          o.queueName,
          o.fleet,
          initialRingRecord(o.fleet, o.nodes),
        );
      const generation = this.adopt(
        new RingGeneration(
          state?.ring?.version ?? 1,
          new StorageLayout(o.ring, o.prefix, o.buckets),
          o.nodes,
          this.context,
          o.rollups,
        ),
      );
      generation.followChange(state?.change);
      // Before the first job: a node that lost its data or is another fleet's stops the start.
      await generation.open();
      await this.registry.start(generation.version);
      if (state !== undefined) this.follow(state);
      this.timer = setInterval(() => this.requestFlush(), o.flushIntervalMs);
      void this.worker.run().catch((err: unknown) => this.emit('queueError', asError(err)));
    })();
    return this.started;
  }

  /** Flushes everything buffered now; resolves when it is durable (or retrying continues after close). */
  flush(): Promise<void> {
    return this.generation?.flusher.flushAll() ?? Promise.resolve();
  }

  /**
   * True when the queue Redis and every storage node answer, and no node is refused for its
   * identity. A switch to a newer ring version in progress keeps it true: the worker is not
   * broken, it is connecting to the new ring.
   */
  async ready(): Promise<boolean> {
    const generation = this.generation;
    if (this.started === undefined || generation === undefined) return false;
    if (generation.nodes.some((_, n) => !generation.identities.ok(n))) return false;
    const [queue, nodes] = await Promise.all([
      this.connections.answering(),
      this.placing !== undefined ? Promise.resolve(true) : generation.answering(),
    ]);
    return queue && nodes;
  }

  /** The ring this worker writes under now. */
  get ring(): { readonly version: number; readonly nodes: readonly string[] } {
    const generation = this.generation;
    return {
      version: generation?.version ?? 1,
      nodes: generation?.nodeIds ?? this.options.nodes.map((n) => n.id),
    };
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
    this.follower?.stop();
    if (this.timer !== undefined) clearInterval(this.timer);
    const deadline = AbortSignal.timeout(timeoutMs);
    // BullMQ's close() stops fetching but waits for the jobs it already handed out; those are
    // held here until flushed, so keep flushing until it resolves.
    let workerClosed = false;
    const closed = this.worker.close().finally(() => (workerClosed = true));
    const drained = (async () => {
      while (!workerClosed && !deadline.aborted) {
        if (this.jobs.count > 0) await this.flush();
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
      this.generation?.flusher.abandon();
      // BullMQ memoizes close(): close(true) returns the close() above, which waits for the held
      // jobs' processor promises forever, so they are released first (see releaseAll).
      this.jobs.releaseAll();
      await this.worker.close(true).catch(reportError);
    }
    // Every step runs even when an earlier one fails: a failed QUIT must not leave the other
    // clients connected and the process alive.
    if (this.started !== undefined) await this.registry.close().catch(reportError);
    await this.generation?.close(reportError);
    await this.connections.close(reportError);
    // Not an 'error' event: nothing failed; the caller learns it from the result (false).
    return !timedOut;
  }

  /** The generation jobs go to: the current one, or the next while a switch runs. */
  private placer(): Promise<JobPlacer> {
    if (this.placing !== undefined) return this.placing;
    const generation = this.generation;
    if (generation === undefined) return Promise.reject(new Error('the worker has not started'));
    return Promise.resolve(generation);
  }

  /** Makes `generation` current and relays its flusher's events. */
  private adopt(generation: RingGeneration): RingGeneration {
    const flusher = generation.flusher;
    flusher.on('flushed', (e) => this.emit('flushed', e));
    flusher.on('error', (e) => this.emit('error', e));
    flusher.on('refused', (e) => this.emit('refused', e));
    flusher.on('lost', (e) => this.emit('lost', e));
    flusher.on('fenced', (e) => {
      this.emit('fenced', e);
      void this.follower?.poke();
    });
    this.generation = generation;
    return generation;
  }

  /** Polls the ring records from now on; each new state may make the worker switch. */
  private follow(initial: RingState): void {
    const follower = (this.follower = new RingFollower(
      this.connections.queue,
      this.keys,
      this.options.queueName,
      initial,
    ));
    follower.on('error', (err) => this.emit('queueError', err));
    follower.on('state', (state) => {
      if (this.closing !== undefined) return;
      const current = this.generation;
      const ring = state.ring;
      // While fencing, the record still names the old version: the worker waits for it.
      if (ring !== undefined && current !== undefined && ring.version > current.version) {
        if (this.placing === undefined) void this.switchTo(state);
      } else current?.followChange(state.change);
    });
    follower.start();
  }

  /**
   * Goes on under the ring `state` names: stops taking jobs, retires the current generation
   * (its buffer is never applied: the nodes refuse the old version), releases every held job
   * back to the queue, and takes jobs again under the new ring.
   */
  private async switchTo(state: RingState): Promise<void> {
    const record = state.ring!;
    const old = this.generation!;
    let generation: RingGeneration;
    try {
      generation = RingGeneration.ofRecord(record, layoutOf(record), this.context);
    } catch (err) {
      // The record names a node this worker cannot reach (no URL, not in its list): it stays
      // on its version (fenced, applying nothing) and tries again at the next change.
      this.emit('error', asError(err));
      return;
    }
    let settle!: (generation: RingGeneration) => void;
    this.placing = new Promise((resolve) => (settle = resolve));
    this.backpressure.suspend();
    old.retire();
    const released = await this.jobs.releaseHeld();
    this.adopt(generation);
    generation.followChange(state.change);
    // A node refused here stays refused (not ready) until a check clears it, as at a start.
    await generation.open().catch((err: unknown) => this.emit('error', asError(err)));
    this.placing = undefined;
    settle(generation);
    this.options.metrics?.ringSwitches.inc();
    this.options.metrics?.initSeries(generation.nodeIds, FLUSH_ERROR_REASONS);
    void old.close((err) => this.emit('queueError', asError(err)));
    this.backpressure.unsuspend(this.load());
    this.emit('switched', {
      from: old.version,
      to: generation.version,
      nodes: generation.nodeIds,
      released,
    });
    await this.registry
      .update(generation.version)
      .catch((err: unknown) => this.emit('queueError', asError(err)));
  }

  private requestFlush(): void {
    this.generation?.flusher.flushAll().catch((err: unknown) => this.emit('error', asError(err)));
  }

  private load() {
    const buffer = this.generation?.buffer;
    return {
      counters: buffer?.counters ?? 0,
      bytes: (buffer?.bytes ?? 0) + this.jobs.bytes,
      jobsSinceFlush: buffer?.jobsSinceFlush ?? 0,
      held: this.jobs.count,
    };
  }

  private stateSource(): WorkerStateSource {
    const buffer = () => this.generation?.buffer;
    return {
      bufferCounters: () => buffer()?.counters ?? 0,
      bufferJobs: () => this.jobs.count,
      bufferBytes: () => (buffer()?.bytes ?? 0) + this.jobs.bytes,
      oldestUnflushedAgeSeconds: () => this.jobs.oldestAgeSeconds(),
      ringNodes: () => this.ring.nodes.length,
      nodeIdentityOk: () => {
        const g = this.generation;
        return g === undefined
          ? []
          : g.nodes.map((node, n) => ({ node: node.id, ok: g.identities.ok(n) }));
      },
      queueCounts: () => this.connections.queueCounts(),
      nodeReplication: () => this.generation?.nodeReplication() ?? Promise.resolve([]),
      ringVersion: () => this.ring.version,
      ringChange: (): RingChangeView | undefined => {
        const change = this.follower?.state.change;
        return change === undefined
          ? undefined
          : { phase: change.phase, moved: change.moved, toMove: change.toMove };
      },
    };
  }
}
