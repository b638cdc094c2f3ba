import type { Counter, Registry } from 'prom-client';
import { MetricFactory } from './metric-factory.js';

/** Routes of the gateway's HTTP API, as the `route` label names them. */
export const GATEWAY_ROUTES = ['increments', 'counters', 'series', 'other'] as const;
export type GatewayRoute = (typeof GATEWAY_ROUTES)[number];

/** Outcomes of a StatsD line (the `outcome` label). */
export const STATSD_OUTCOMES = [
  'counted',
  'sampled',
  'refused_type',
  'refused_tags',
  'malformed',
  'dropped',
] as const;
export type StatsdLineOutcome = (typeof STATSD_OUTCOMES)[number];

/** Every metric of `countd gateway`, on the registry given. */
export class GatewayMetrics {
  readonly requests: Counter<'route' | 'status'>;
  readonly incrementsAccepted: Counter<'source'>;
  readonly idempotentReplays: Counter;
  readonly statsdLines: Counter<'transport' | 'outcome'>;
  readonly receivedBytes: Counter<'transport'>;

  constructor(readonly registry: Registry) {
    const define = new MetricFactory(registry);
    this.requests = define.counter(
      'countd_gateway_requests_total',
      'HTTP requests answered, by route and status code',
      ['route', 'status'],
    );
    this.incrementsAccepted = define.counter(
      'countd_gateway_increments_accepted_total',
      'Increments confirmed durable in the queue, by source (http: answered 200; statsd: lines whose batch the queue confirmed)',
      ['source'],
    );
    this.idempotentReplays = define.counter(
      'countd_gateway_idempotent_replays_total',
      'Requests whose Idempotency-Key was already in the queue: answered 200, not counted again',
    );
    this.statsdLines = define.counter(
      'countd_gateway_statsd_lines_total',
      'StatsD lines by transport and outcome (counted, sampled: scaled by 1/rate, refused_type, refused_tags, malformed, dropped: taken but never confirmed by the queue)',
      ['transport', 'outcome'],
    );
    this.receivedBytes = define.counter(
      'countd_gateway_received_bytes_total',
      'Bytes read: HTTP request bodies, StatsD TCP streams and UDP packets',
      ['transport'],
    );
    // Known series start at 0, so the first refusal is a rise that rate()/increase() see.
    for (const transport of ['tcp', 'udp'])
      for (const outcome of STATSD_OUTCOMES) this.statsdLines.inc({ transport, outcome }, 0);
    for (const source of ['http', 'statsd']) this.incrementsAccepted.inc({ source }, 0);
    for (const transport of ['http', 'tcp', 'udp']) this.receivedBytes.inc({ transport }, 0);
  }
}
