import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

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
}

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
  private source: WorkerStateSource | undefined;

  constructor(readonly registry: Registry) {
    const registers = [registry];
    this.incrementsReceived = new Counter({
      name: 'countd_increments_received_total',
      help: 'Increments taken from the queue by this worker',
      registers,
    });
    this.jobsReceived = new Counter({
      name: 'countd_jobs_received_total',
      help: 'Jobs taken from the queue by this worker',
      registers,
    });
    this.incrementsFlushed = new Counter({
      name: 'countd_increments_flushed_total',
      help: 'Increments made durable on their storage node',
      registers,
    });
    this.storageCommands = new Counter({
      name: 'countd_storage_commands_total',
      help: 'HINCRBY commands sent to storage nodes (after coalescing)',
      labelNames: ['node'],
      registers,
    });
    this.flushErrors = new Counter({
      name: 'countd_flush_errors_total',
      help: 'Failed flush attempts per node and reason (retried with backoff)',
      labelNames: ['node', 'reason'],
      registers,
    });
    this.duplicatePartsSkipped = new Counter({
      name: 'countd_duplicate_parts_skipped_total',
      help: 'Job parts found already applied on a node (redelivery or retried flush) and not applied again',
      labelNames: ['node'],
      registers,
    });
    this.jobsFailed = new Counter({
      name: 'countd_jobs_failed_total',
      help: 'Jobs failed with a reason (malformed payload, increments refused by their node)',
      labelNames: ['reason'],
      registers,
    });
    this.jobsLost = new Counter({
      name: 'countd_jobs_lost_total',
      help: "Held jobs found to be another worker's before they were applied (their lock expired while this worker was stopped); not applied here",
      registers,
    });
    this.flushDuration = new Histogram({
      name: 'countd_flush_duration_seconds',
      help: 'Time to apply one flush on one node, retries included',
      labelNames: ['node'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.lag = new Histogram({
      name: 'countd_lag_seconds',
      help: 'From the oldest increment of a job being produced to that job being durable',
      // 1.25 s: the lag target is one flush interval (1 s) + 250 ms, so the p99 can be read off exactly.
      buckets: [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 3, 5, 10, 30, 60],
      registers,
    });
    this.flushBatchCounters = new Histogram({
      name: 'countd_flush_batch_counters',
      help: 'Distinct counters written by one flush of one node',
      buckets: [1, 10, 100, 1000, 5000, 10000, 50000, 100000, 500000],
      registers,
    });
    const gauge = (name: string, help: string, read: (s: WorkerStateSource) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect: () => {
          const g = registry.getSingleMetric(name) as Gauge | undefined;
          if (this.source !== undefined) g?.set(read(this.source));
        },
      });
    gauge('countd_buffer_counters', 'Distinct counters buffered, not yet flushed', (s) =>
      s.bufferCounters(),
    );
    gauge('countd_buffer_jobs', 'Jobs held until their increments are durable', (s) =>
      s.bufferJobs(),
    );
    gauge('countd_buffer_bytes', 'Approximate bytes held by the buffer', (s) => s.bufferBytes());
    gauge(
      'countd_oldest_unflushed_age_seconds',
      'Age of the oldest increment not yet durable',
      (s) => s.oldestUnflushedAgeSeconds(),
    );
    gauge('countd_ring_nodes', 'Storage nodes in the ring', (s) => s.ringNodes());
    new Gauge({
      name: 'countd_node_identity_ok',
      help: 'Per storage node: 1 when it holds the identity the fleet gave it, 0 while applies are refused for it (lost data, another fleet)',
      labelNames: ['node'],
      registers,
      collect: () => {
        const g = registry.getSingleMetric('countd_node_identity_ok') as Gauge<'node'> | undefined;
        if (this.source === undefined || g === undefined) return;
        for (const { node, ok } of this.source.nodeIdentityOk()) g.set({ node }, ok ? 1 : 0);
      },
    });
    new Gauge({
      name: 'countd_queue_jobs',
      help: 'Jobs in the queue by state, read from the queue Redis at scrape time',
      labelNames: ['state'],
      registers,
      collect: async () => {
        if (this.source === undefined) return;
        const g = registry.getSingleMetric('countd_queue_jobs') as Gauge<'state'> | undefined;
        const counts = await this.source.queueCounts().catch(() => undefined);
        if (counts === undefined || g === undefined) return;
        for (const [state, count] of Object.entries(counts)) g.set({ state }, count);
      },
    });
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
    for (const reason of ['malformed', 'refused']) this.jobsFailed.inc({ reason }, 0);
    for (const node of nodes) {
      this.storageCommands.inc({ node }, 0);
      this.duplicatePartsSkipped.inc({ node }, 0);
      for (const reason of flushErrorReasons) this.flushErrors.inc({ node, reason }, 0);
    }
  }
}
