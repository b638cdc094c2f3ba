import { Counter, type Registry } from 'prom-client';

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
    const registers = [registry];
    this.requests = new Counter({
      name: 'countd_gateway_requests_total',
      help: 'HTTP requests answered, by route and status code',
      labelNames: ['route', 'status'],
      registers,
    });
    this.incrementsAccepted = new Counter({
      name: 'countd_gateway_increments_accepted_total',
      help: 'Increments confirmed durable in the queue, by source (http: answered 200; statsd: lines whose batch the queue confirmed)',
      labelNames: ['source'],
      registers,
    });
    this.idempotentReplays = new Counter({
      name: 'countd_gateway_idempotent_replays_total',
      help: 'Requests whose Idempotency-Key was already in the queue: answered 200, not counted again',
      registers,
    });
    this.statsdLines = new Counter({
      name: 'countd_gateway_statsd_lines_total',
      help: 'StatsD lines by transport and outcome (counted, sampled: scaled by 1/rate, refused_type, refused_tags, malformed, dropped: taken but never confirmed by the queue)',
      labelNames: ['transport', 'outcome'],
      registers,
    });
    this.receivedBytes = new Counter({
      name: 'countd_gateway_received_bytes_total',
      help: 'Bytes read: HTTP request bodies, StatsD TCP streams and UDP packets',
      labelNames: ['transport'],
      registers,
    });
    // Known series start at 0, so the first refusal is a rise that rate()/increase() see.
    for (const transport of ['tcp', 'udp'])
      for (const outcome of STATSD_OUTCOMES) this.statsdLines.inc({ transport, outcome }, 0);
    for (const source of ['http', 'statsd']) this.incrementsAccepted.inc({ source }, 0);
    for (const transport of ['http', 'tcp', 'udp']) this.receivedBytes.inc({ transport }, 0);
  }
}
