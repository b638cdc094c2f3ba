import { Counter, type Registry } from 'prom-client';

/** Producer-side metrics; pass to a Producer through its `metrics` option. */
export class ProducerMetrics {
  readonly incrementsEnqueued: Counter;
  readonly jobsEnqueued: Counter;
  readonly enqueueErrors: Counter<'reason'>;
  readonly replicaWaitsShort: Counter;

  constructor(readonly registry: Registry) {
    const registers = [registry];
    this.incrementsEnqueued = new Counter({
      name: 'countd_increments_enqueued_total',
      help: 'Increments confirmed durable in the queue',
      registers,
    });
    this.jobsEnqueued = new Counter({
      name: 'countd_jobs_enqueued_total',
      help: 'Batches (jobs) confirmed durable in the queue',
      registers,
    });
    this.enqueueErrors = new Counter({
      name: 'countd_enqueue_errors_total',
      help: 'Batches the producer could not get into the queue (after retries) or refused (buffer full)',
      labelNames: ['reason'],
      registers,
    });
    this.replicaWaitsShort = new Counter({
      name: 'countd_enqueue_replica_waits_short_total',
      help: "Job adds whose WAIT had fewer replicas' acknowledgements than COUNTD_MIN_REPLICAS (retried; the increments are not confirmed yet)",
      registers,
    });
    // Known reasons start at 0 so that the first error is a rise that rate()/increase() see.
    for (const reason of ['full', 'unavailable']) this.enqueueErrors.inc({ reason }, 0);
  }
}
