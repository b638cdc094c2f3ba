import { Registry } from 'prom-client';
import { ProducerMetrics } from '../../../src/metrics/index.js';
import { Producer } from '../../../src/producer/index.js';
import { LoadGenerator, type LoadResult } from '../../../workers/load/index.js';
import { startOpsServer, type OpsServer } from '../../../workers/process/ops-server.js';

/** Options of {@link startProducerLoad}. */
export interface ProducerLoadOptions {
  readonly queue: { host: string; port: number };
  readonly queueName: string;
  readonly producers: number;
  /** Increments per second over all producers. */
  readonly rate: number;
  readonly counters: number;
  readonly zipf: number;
  readonly seed: number;
}

/**
 * Producers in the test process, with {@link ProducerMetrics} on a registry served at
 * `/metrics` (what a `countd-load` target exposes), sending Zipf-skewed increments at a
 * bounded rate until {@link ProducerLoad.stop}.
 */
export interface ProducerLoad {
  /** `http://127.0.0.1:PORT`, its `/metrics` included. */
  readonly opsUrl: string;
  readonly registry: Registry;
  readonly metrics: ProducerMetrics;
  readonly generator: LoadGenerator;
  /** Stops generating, settles what was sent, closes the producers and the server. Idempotent. */
  stop(): Promise<LoadResult>;
}

export async function startProducerLoad(options: ProducerLoadOptions): Promise<ProducerLoad> {
  const registry = new Registry();
  const metrics = new ProducerMetrics(registry);
  const ops: OpsServer = await startOpsServer(
    { registry, ready: () => Promise.resolve(true) },
    '127.0.0.1',
    0,
  );
  const producers = Array.from(
    { length: options.producers },
    () => new Producer({ queue: options.queue, queueName: options.queueName, metrics }),
  );
  const abort = new AbortController();
  const generator = new LoadGenerator(
    {
      // Runs until stopped: the total only has to outlast the test at this rate.
      total: Number.MAX_SAFE_INTEGER,
      counters: options.counters,
      zipf: options.zipf,
      rate: options.rate,
      seed: options.seed,
      namePrefix: 'views',
      signal: abort.signal,
    },
    producers,
  );
  const running = generator.run();
  let stopping: Promise<LoadResult> | undefined;
  return {
    opsUrl: ops.url,
    registry,
    metrics,
    generator,
    stop: () =>
      (stopping ??= (async () => {
        abort.abort();
        try {
          return await running;
        } finally {
          await Promise.allSettled(producers.map((p) => p.close()));
          await ops.close();
        }
      })()),
  };
}
