import type { Logger } from 'pino';
import { parseStatsdLine } from '../../src/gateway/index.js';
import type { GatewayMetrics, StatsdLineOutcome } from '../../src/metrics/index.js';
import type { Producer } from '../../src/producer/index.js';

export type StatsdTransport = 'tcp' | 'udp';

/** Lines of one chunk or packet that never reached the parser. */
export interface UnreadLines {
  readonly invalidUtf8: number;
  readonly tooLong: number;
}

/**
 * Turns StatsD lines into producer increments (coalesced and lingering like any producer's)
 * and counts every line by outcome. A counted line is counted as such once its batch is
 * confirmed by the queue; a line whose batch the queue never confirms (queue down past the
 * producer's deadline, producer full) is counted `dropped` and logged: StatsD has no answer
 * to give it.
 */
export class StatsdIntake {
  constructor(
    private readonly producer: Producer,
    private readonly metrics: GatewayMetrics,
    private readonly log: Logger,
  ) {}

  /**
   * Takes the lines of a chunk or packet. Returns the confirmation of the last batch they went
   * into (a TCP connection waits on it when the producer holds too much), or undefined.
   */
  take(transport: StatsdTransport, lines: readonly string[], unread: UnreadLines) {
    const tally = new Map<StatsdLineOutcome, number>();
    const count = (outcome: StatsdLineOutcome, n = 1) =>
      n > 0 && tally.set(outcome, (tally.get(outcome) ?? 0) + n);
    count('malformed', unread.invalidUtf8 + unread.tooLong);
    // Lines of one chunk mostly share one batch: one settlement handler per batch, not per line.
    const batches = new Map<Promise<void>, { counted: number; sampled: number }>();
    let last: Promise<void> | undefined;
    for (const line of lines) {
      const parsed = parseStatsdLine(line);
      if (!parsed.ok) {
        count(parsed.outcome);
        if (this.log.isLevelEnabled('debug'))
          this.log.debug({ transport, problem: parsed.problem }, 'statsd line skipped');
        continue;
      }
      last = this.producer.increment(parsed.name, parsed.delta);
      let entry = batches.get(last);
      if (entry === undefined) batches.set(last, (entry = { counted: 0, sampled: 0 }));
      entry[parsed.outcome]++;
    }
    for (const [outcome, n] of tally) this.metrics.statsdLines.inc({ transport, outcome }, n);
    for (const [batch, { counted, sampled }] of batches) {
      batch.then(
        () => {
          this.metrics.statsdLines.inc({ transport, outcome: 'counted' }, counted);
          this.metrics.statsdLines.inc({ transport, outcome: 'sampled' }, sampled);
          this.metrics.incrementsAccepted.inc({ source: 'statsd' }, counted + sampled);
        },
        (err: unknown) => {
          this.metrics.statsdLines.inc({ transport, outcome: 'dropped' }, counted + sampled);
          this.log.warn({ err, transport, lines: counted + sampled }, 'statsd lines dropped');
        },
      );
    }
    return last;
  }

  /** Increments taken and not yet confirmed by the queue. */
  get pending(): number {
    return this.producer.pendingIncrements;
  }
}
