import type { Counter, Registry } from 'prom-client';
import { MetricFactory } from './metric-factory.js';

/** Producer-side metrics; pass to a Producer through its `metrics` option. */
export class ProducerMetrics {
  readonly incrementsEnqueued: Counter;
  readonly jobsEnqueued: Counter;
  readonly enqueueErrors: Counter<'reason'>;
  readonly replicaWaitsShort: Counter;

  constructor(readonly registry: Registry) {
    const define = new MetricFactory(registry);
    this.incrementsEnqueued = define.counter(
      'countd_increments_enqueued_total',
      'Increments confirmed durable in the queue',
    );
    this.jobsEnqueued = define.counter(
      'countd_jobs_enqueued_total',
      'Batches (jobs) confirmed durable in the queue',
    );
    this.enqueueErrors = define.counter(
      'countd_enqueue_errors_total',
      'Batches the producer could not get into the queue (after retries) or refused (buffer full)',
      ['reason'],
    );
    this.replicaWaitsShort = define.counter(
      'countd_enqueue_replica_waits_short_total',
      "Job adds whose WAIT had fewer replicas' acknowledgements than COUNTD_MIN_REPLICAS (retried; the increments are not confirmed yet)",
    );
    // Known reasons start at 0 so that the first error is a rise that rate()/increase() see.
    for (const reason of ['full', 'unavailable']) this.enqueueErrors.inc({ reason }, 0);
  }
}
