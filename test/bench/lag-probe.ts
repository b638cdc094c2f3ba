import { Redis } from 'ioredis';
import { Producer } from '../../src/producer/index.js';
import { epochMs } from './bench-child.js';

const PROBE_PREFIX = 'bench:probe:';

export interface ProbeResult {
  readonly sent: number;
  readonly seen: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/**
 * Exact end-to-end lag, next to the histogram's bucket interpolation: every `everyMs` one
 * increment of a new counter `bench:probe:<k>` goes through its own producer (same linger as the
 * lanes'), and the probe listens to the nodes' update channel, where the apply script publishes
 * a counter's new value in the same atomic step that writes it. Lag = published - sent.
 */
export class LagProbe {
  private readonly sentAt: number[] = [];
  private readonly seenAt: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly counts = { jobs: 0, increments: 0 };

  private constructor(
    private readonly producer: Producer,
    private readonly subscribers: Redis[],
    private readonly everyMs: number,
  ) {}

  static async start(
    queueUrl: string,
    queueName: string,
    nodeUrls: readonly string[],
    channel: string,
    everyMs = 20,
  ): Promise<LagProbe> {
    const url = new URL(queueUrl);
    const producer = new Producer({
      queue: { host: url.hostname, port: Number(url.port) },
      queueName,
      producerId: `bench-probe-${process.pid}`,
    });
    const subscribers = nodeUrls.map((u) => {
      const node = new URL(u);
      const client = new Redis({ host: node.hostname, port: Number(node.port) });
      client.on('error', () => undefined);
      return client;
    });
    const probe = new LagProbe(producer, subscribers, everyMs);
    producer.on('enqueued', (e) => {
      probe.counts.jobs++;
      probe.counts.increments += e.increments;
    });
    for (const client of subscribers) {
      await client.subscribe(channel);
      client.on('message', (_channel: string, message: string) => probe.onMessage(message));
    }
    return probe;
  }

  /** Starts sending probes. */
  begin(): void {
    this.timer = setInterval(() => {
      const k = this.sentAt.length;
      this.sentAt.push(epochMs());
      void this.producer.increment(`${PROBE_PREFIX}${k}`, 1).catch(() => undefined);
    }, this.everyMs);
  }

  /** Stops sending; resolves once what was sent is in the queue. Jobs and increments it sent. */
  async stopSending(): Promise<{ jobs: number; increments: number }> {
    clearInterval(this.timer);
    await this.producer.flush().catch(() => undefined);
    return { ...this.counts };
  }

  result(): ProbeResult {
    const lags: number[] = [];
    for (let k = 0; k < this.sentAt.length; k++) {
      const seen = this.seenAt[k];
      if (seen !== undefined) lags.push(seen - this.sentAt[k]!);
    }
    lags.sort((a, b) => a - b);
    const at = (q: number): number =>
      lags[Math.min(lags.length - 1, Math.floor(q * lags.length))] ?? NaN;
    return {
      sent: this.sentAt.length,
      seen: lags.length,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      maxMs: lags[lags.length - 1] ?? NaN,
    };
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.producer.close().catch(() => undefined);
    for (const client of this.subscribers) client.disconnect();
  }

  private onMessage(message: string): void {
    let at = message.indexOf(PROBE_PREFIX);
    if (at < 0) return;
    const now = epochMs();
    while (at >= 0) {
      const tab = message.indexOf('\t', at);
      const k = Number(message.slice(at + PROBE_PREFIX.length, tab));
      if (Number.isInteger(k) && this.seenAt[k] === undefined) this.seenAt[k] = now;
      at = message.indexOf(PROBE_PREFIX, tab);
    }
  }
}
