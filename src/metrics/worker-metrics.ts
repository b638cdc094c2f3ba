import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { MetricFactory } from './metric-factory.js';
import { GRANULARITIES } from '../rollups/index.js';

/** The phases of a ring change, as the phase gauge labels them (docs/ring.md, "Phases"). */
export const RING_CHANGE_PHASE_LABELS = ['fencing', 'moving', 'settling', 'cleanup'] as const;

/** A ring change as a worker last read it (its record in the queue Redis). */
export interface RingChangeView {
  readonly phase: (typeof RING_CHANGE_PHASE_LABELS)[number];
  readonly moved: number;
  /** null until the change has counted what it moves. */
  readonly toMove: number | null;
}

/** Point-in-time state, read in `collect()` at scrape time so that no timer has to keep it fresh. */
export interface WorkerStateSource {
  bufferCounters(): number;
  bufferJobs(): number;
  bufferBytes(): number;
  /** Seconds since the oldest increment still unflushed was produced; 0 when the buffer is empty. */
  oldestUnflushedAgeSeconds(): number;
  ringNodes(): number;
  /** Per node: false while applies are refused because the node does not hold its identity. */
  nodeIdentityOk(): ReadonlyArray<{ readonly node: string; readonly ok: boolean }>;
  /** Job counts by BullMQ state (waiting, active, delayed, failed, ...). */
  queueCounts(): Promise<Record<string, number>>;
  /** Per node: what its connection reaches now (`INFO replication`), read at scrape time. */
  nodeReplication?(): Promise<readonly NodeReplicationState[]>;
  /** The ring version this worker writes under. */
  ringVersion?(): number;
  /** The ring change in progress as the worker last read it; undefined when none. */
  ringChange?(): RingChangeView | undefined;
}

/** The replication state of the server a storage node's connection reaches. */
export interface NodeReplicationState {
  readonly node: string;
  /** `unreachable` when it did not answer (down, or a failover under way). */
  readonly role: NodeRole;
  /** Replicas connected and online (primary only; else 0). */
  readonly replicas: number;
  /** Longest time since a replica acknowledged, in seconds (INFO's `lag`; 0 without replicas). */
  readonly lagSeconds: number;
  /** Replication bytes the furthest-behind replica has not acknowledged (0 without replicas). */
  readonly lagBytes: number;
}

export const NODE_ROLES = ['primary', 'replica', 'unreachable'] as const;
export type NodeRole = (typeof NODE_ROLES)[number];

/** Every worker-side metric, registered on the registry given (never the global one implicitly). */
export class WorkerMetrics {
  readonly incrementsReceived: Counter;
  readonly jobsReceived: Counter;
  readonly incrementsFlushed: Counter;
  readonly storageCommands: Counter<'node'>;
  readonly flushErrors: Counter<'node' | 'reason'>;
  readonly duplicatePartsSkipped: Counter<'node'>;
  readonly jobsFailed: Counter<'reason'>;
  readonly jobsLost: Counter;
  readonly flushDuration: Histogram<'node'>;
  readonly lag: Histogram;
  readonly flushBatchCounters: Histogram;
  readonly replicaAckWait: Histogram<'node'>;
  readonly replicasShort: Gauge<'node'>;
  readonly lastFlush: Gauge<'node'>;
  readonly ringFencedApplies: Counter<'node'>;
  readonly ringSwitches: Counter;
  readonly rollupIncrementsTooOld: Counter<'granularity'>;
  readonly rollupBucketWrites: Counter<'granularity'>;
  private source: WorkerStateSource | undefined;

  constructor(readonly registry: Registry) {
    const define = new MetricFactory(registry);
    this.incrementsReceived = define.counter(
      'countd_increments_received_total',
      'Increments taken from the queue by this worker',
    );
    this.jobsReceived = define.counter(
      'countd_jobs_received_total',
      'Jobs taken from the queue by this worker',
    );
    this.incrementsFlushed = define.counter(
      'countd_increments_flushed_total',
      'Increments made durable on their storage node',
    );
    this.storageCommands = define.counter(
      'countd_storage_commands_total',
      'HINCRBY commands sent to storage nodes (after coalescing)',
      ['node'],
    );
    this.flushErrors = define.counter(
      'countd_flush_errors_total',
      'Failed flush attempts per node and reason (retried with backoff)',
      ['node', 'reason'],
    );
    this.duplicatePartsSkipped = define.counter(
      'countd_duplicate_parts_skipped_total',
      'Job parts found already applied on a node (redelivery or retried flush) and not applied again',
      ['node'],
    );
    this.jobsFailed = define.counter(
      'countd_jobs_failed_total',
      'Jobs failed with a reason (malformed payload, increments refused by their node)',
      ['reason'],
    );
    this.jobsLost = define.counter(
      'countd_jobs_lost_total',
      "Held jobs found to be another worker's before they were applied (their lock expired while this worker was stopped); not applied here",
    );
    this.flushDuration = define.histogram(
      'countd_flush_duration_seconds',
      'Time to apply one flush on one node, retries included',
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      ['node'],
    );
    this.lag = define.histogram(
      'countd_lag_seconds',
      'From the oldest increment of a job being produced to that job being durable',
      // 1.25 s: the lag target is one flush interval (1 s) + 250 ms, so the p99 can be read off exactly.
      [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 3, 5, 10, 30, 60],
    );
    this.flushBatchCounters = define.histogram(
      'countd_flush_batch_counters',
      'Distinct counters written by one flush of one node',
      [1, 10, 100, 1000, 5000, 10000, 50000, 100000, 500000],
    );
    this.replicaAckWait = define.histogram(
      'countd_replica_ack_wait_seconds',
      'Time one WAIT for COUNTD_MIN_REPLICAS replicas took after an apply (short or not)',
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      ['node'],
    );
    this.replicasShort = define.gauge(
      'countd_node_replicas_short',
      "Per storage node: 1 while its last WAIT had fewer replicas' acknowledgements than COUNTD_MIN_REPLICAS (its jobs wait held), else 0",
      ['node'],
    );
    this.lastFlush = define.gauge(
      'countd_node_last_flush_timestamp_seconds',
      'Per storage node: when (epoch seconds) a flush last became durable on it; time() minus it is the time since',
      ['node'],
    );
    this.ringFencedApplies = define.counter(
      'countd_ring_fenced_applies_total',
      'Applies a storage node refused because a ring change fenced it for a newer version: the worker follows the ring; its held jobs are released',
      ['node'],
    );
    this.ringSwitches = define.counter(
      'countd_ring_switches_total',
      'Times this worker switched to a newer ring version without a restart',
    );
    this.rollupIncrementsTooOld = define.counter(
      'countd_rollup_increments_too_old_total',
      "Increments (pairs) older than a granularity's retention: counted in the total and the coarser buckets that keep them, not in this granularity's bucket",
      ['granularity'],
    );
    this.rollupBucketWrites = define.counter(
      'countd_rollup_bucket_writes_total',
      'Time-bucket fields written (HINCRBY) by applies, per granularity',
      ['granularity'],
    );
    this.ringGauges(define);
    this.nodeReplicationGauges(define);
    const bufferGauge = (name: string, help: string, read: (s: WorkerStateSource) => number) =>
      define.gauge(name, help, [], (g) => {
        if (this.source !== undefined) g.set(read(this.source));
      });
    bufferGauge('countd_buffer_counters', 'Distinct counters buffered, not yet flushed', (s) =>
      s.bufferCounters(),
    );
    bufferGauge('countd_buffer_jobs', 'Jobs held until their increments are durable', (s) =>
      s.bufferJobs(),
    );
    bufferGauge('countd_buffer_bytes', 'Approximate bytes held by the buffer', (s) =>
      s.bufferBytes(),
    );
    bufferGauge(
      'countd_oldest_unflushed_age_seconds',
      'Age of the oldest increment not yet durable',
      (s) => s.oldestUnflushedAgeSeconds(),
    );
    bufferGauge('countd_ring_nodes', 'Storage nodes in the ring', (s) => s.ringNodes());
    define.gauge(
      'countd_node_identity_ok',
      'Per storage node: 1 when it holds the identity the fleet gave it, 0 while applies are refused for it (lost data, another fleet)',
      ['node'],
      (g) => {
        if (this.source === undefined) return;
        for (const { node, ok } of this.source.nodeIdentityOk()) g.set({ node }, ok ? 1 : 0);
      },
    );
    define.gauge(
      'countd_queue_jobs',
      'Jobs in the queue by state, read from the queue Redis at scrape time',
      ['state'],
      async (g) => {
        if (this.source === undefined) return;
        const counts = await this.source.queueCounts().catch(() => undefined);
        if (counts === undefined) return;
        for (const [state, count] of Object.entries(counts)) g.set({ state }, count);
      },
    );
  }

  /** The ring version written under and the change in progress, as last read (at scrape time). */
  private ringGauges(define: MetricFactory): void {
    define.gauge('countd_ring_version', 'The ring version this worker writes under', [], (g) => {
      const version = this.source?.ringVersion?.();
      if (version !== undefined) g.set(version);
    });
    define.gauge(
      'countd_ring_change_phase',
      'Per phase: 1 for the phase of the ring change in progress as this worker last read it, 0 for the others (all 0: no change)',
      ['phase'],
      (g) => {
        const phase = this.source?.ringChange?.()?.phase;
        for (const p of RING_CHANGE_PHASE_LABELS) g.set({ phase: p }, p === phase ? 1 : 0);
      },
    );
    define.gauge(
      'countd_ring_change_counters_moved',
      'Counters the ring change in progress has folded into their new node so far (its record, as this worker last read it); 0 when none',
      [],
      (g) => g.set(this.source?.ringChange?.()?.moved ?? 0),
    );
    define.gauge(
      'countd_ring_change_counters_to_move',
      'Counters the ring change in progress moves in all, once counted (its record, as this worker last read it); 0 when none',
      [],
      (g) => g.set(this.source?.ringChange?.()?.toMove ?? 0),
    );
  }

  /** Role, replicas and replica lag per node, read from the nodes at scrape time (one INFO each). */
  private nodeReplicationGauges(define: MetricFactory): void {
    // The four gauges of one scrape share one read (prom-client collects them concurrently).
    let reading: Promise<readonly NodeReplicationState[]> | undefined;
    const read = () => {
      reading ??= (this.source?.nodeReplication?.() ?? Promise.resolve([]))
        .catch(() => [])
        .finally(() => setTimeout(() => (reading = undefined), 100).unref());
      return reading;
    };
    const perNode = (
      name: string,
      help: string,
      set: (g: Gauge<'node' | 'role'>, s: NodeReplicationState) => void,
      labelNames: Array<'node' | 'role'> = ['node'],
    ) =>
      define.gauge(name, help, labelNames, async (g) => {
        for (const s of await read()) set(g, s);
      });
    perNode(
      'countd_node_role',
      'Per storage node: 1 for the role of the server its connection reaches now (primary, replica: a demoted primary, unreachable), 0 for the others',
      (g, s) => {
        for (const r of NODE_ROLES) g.set({ node: s.node, role: r }, r === s.role ? 1 : 0);
      },
      ['node', 'role'],
    );
    perNode(
      'countd_node_replicas',
      'Per storage node: replicas online under its primary (INFO replication), read at scrape time',
      (g, s) => g.set({ node: s.node }, s.replicas),
    );
    perNode(
      'countd_node_replica_lag_seconds',
      "Per storage node: seconds since its slowest replica's last acknowledgement",
      (g, s) => g.set({ node: s.node }, s.lagSeconds),
    );
    perNode(
      'countd_node_replica_lag_bytes',
      'Per storage node: replication bytes its slowest replica has not acknowledged',
      (g, s) => g.set({ node: s.node }, s.lagBytes),
    );
  }

  /** Connects the scrape-time gauges to a running worker. */
  observe(source: WorkerStateSource): void {
    this.source = source;
  }

  /**
   * Creates every known labelled series at 0. A counter series that first appears at 1 shows
   * no rise to `rate()`/`increase()`, so the first failure would never fire an alert.
   */
  initSeries(nodes: readonly string[], flushErrorReasons: readonly string[]): void {
    // Every granularity, rollups or not: the panels have data (0) on a fleet without them, and
    // a `ring layout --rollups` adds some to running workers.
    for (const granularity of GRANULARITIES) {
      this.rollupIncrementsTooOld.inc({ granularity }, 0);
      this.rollupBucketWrites.inc({ granularity }, 0);
    }
    for (const reason of ['malformed', 'refused']) this.jobsFailed.inc({ reason }, 0);
    for (const node of nodes) {
      this.storageCommands.inc({ node }, 0);
      this.duplicatePartsSkipped.inc({ node }, 0);
      this.ringFencedApplies.inc({ node }, 0);
      for (const reason of flushErrorReasons) this.flushErrors.inc({ node, reason }, 0);
      this.replicasShort.set({ node }, 0);
    }
  }
}
