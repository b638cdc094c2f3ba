import { randomInt } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  parseConfig,
  requireQueue,
  toRedisOptions,
  type RedisConnection,
} from '../../../src/config/index.js';
import { ProducerMetrics } from '../../../src/metrics/index.js';
import { closeConnection } from '../../../src/redis/index.js';
import { PRODUCER_DEFAULTS, Producer } from '../../../src/producer/index.js';
import { startOpsServer } from '../../process/ops-server.js';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { counterNameProblem } from '../../../src/validation/index.js';
import {
  intFlag,
  numberFlag,
  parseCommandArgs,
  refusePositionals,
  stringFlag,
  valueFlags,
} from '../args.js';
import { EXIT_FAILURE, EXIT_OK, type Command, type CommandIo } from '../command.js';
import { CONFIG_FLAG_OPTIONS, CONFIG_FLAGS_HELP, configFlagValues } from '../config-flags.js';
import { UsageError } from '../usage-error.js';
import {
  LoadGenerator,
  MAX_ZIPF_COUNTERS,
  startProgress,
  writeExpectFile,
  type LoadResult,
} from '../../load/index.js';

const MAX_TOTAL = 1_000_000_000_000;
const MAX_PRODUCERS = 64;

const HELP = `Usage: countd load --total N --counters K [options] [config flags]

Sends N increments over K counters named <prefix-names>:<i> through the queue, with a progress
line on stderr and a summary at the end. Deltas are mostly +1, some -1, a few larger either way,
all drawn from the seed: the same seed sends the same increments.

Options:
  --total N            increments to send (required)
  --counters K         distinct counters, 1..${MAX_ZIPF_COUNTERS} (required)
  --zipf S             skew: counter i is picked with probability ∝ 1/(i+1)^S; 0 = uniform (default 0)
  --rate R             at most R increments/s in all (smooth token bucket); 0 = unbounded (default 0)
  --producers P        producer instances in this process, sharing the total (default 1)
  --seed X             PRNG seed (default: random, printed in the summary)
  --expect FILE        write {name: total} of every increment the queue confirmed
  --prefix-names STR   counter name prefix (default load)
  --linger-ms MS       producer linger (default ${PRODUCER_DEFAULTS.lingerMs})
  --max-batch N        distinct counters per job (default ${PRODUCER_DEFAULTS.maxBatch})
  --json               print the summary as JSON on stdout
  --quiet              no progress display

SIGINT/SIGTERM stop early: what was sent is flushed, the expect file lists what was confirmed,
exit 0. Exit codes: 0 every increment confirmed, 1 some failed (see the summary), 2 bad usage.
With --metrics-port (or COUNTD_METRICS_PORT) set, producer metrics are served on /metrics.

${CONFIG_FLAGS_HELP}
`;

const LOAD_FLAGS = {
  ...CONFIG_FLAG_OPTIONS,
  // The load: how many increments, over which counters, how fast, from how many producers.
  ...valueFlags('total', 'counters', 'zipf', 'rate', 'producers', 'seed', 'expect', 'prefix-names'),
  // Each producer's batching.
  ...valueFlags('linger-ms', 'max-batch'),
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
} as const;

/** The summary `--json` prints. */
export interface LoadSummary {
  readonly total: number;
  readonly sent: number;
  readonly confirmed: number;
  readonly failed: number;
  readonly seconds: number;
  readonly incrementsPerSecond: number;
  readonly jobs: number;
  readonly failedJobs: number;
  readonly counters: number;
  readonly zipf: number;
  readonly rate: number;
  readonly producers: number;
  readonly seed: number;
  readonly stopped: boolean;
  readonly expectFile?: string;
  readonly expectCounters?: number;
  readonly errors: readonly string[];
}

export const loadCommand: Command = {
  name: 'load',
  summary: 'send N increments over K counters (Zipf skew, rate limit, expect file)',
  help: HELP,
  async run(args, io) {
    const parsed = parseCommandArgs('load', args, LOAD_FLAGS);
    refusePositionals('load', parsed);
    if (stringFlag(parsed, 'total') === undefined)
      throw new UsageError('countd load: give --total N');
    if (stringFlag(parsed, 'counters') === undefined)
      throw new UsageError('countd load: give --counters K');
    const total = intFlag(parsed, 'total', 0, 0, MAX_TOTAL);
    const counters = intFlag(parsed, 'counters', 0, 1, MAX_ZIPF_COUNTERS);
    const zipf = numberFlag(parsed, 'zipf', 0, 0, 100);
    const rate = numberFlag(parsed, 'rate', 0, 0, 1e12);
    const producers = intFlag(parsed, 'producers', 1, 1, MAX_PRODUCERS);
    const seed = intFlag(parsed, 'seed', randomInt(0, 2 ** 31), 0, 2 ** 53 - 1);
    const lingerMs = intFlag(parsed, 'linger-ms', PRODUCER_DEFAULTS.lingerMs, 0, 60_000);
    const maxBatch = intFlag(parsed, 'max-batch', PRODUCER_DEFAULTS.maxBatch, 1, 10_000);
    const namePrefix = stringFlag(parsed, 'prefix-names') ?? 'load';
    const problem = counterNameProblem(`${namePrefix}:${counters - 1}`);
    if (problem !== undefined)
      throw new UsageError(`--prefix-names: "${namePrefix}:<i>" is not a counter name: ${problem}`);
    const expectFile = stringFlag(parsed, 'expect');
    const json = parsed.values.json === true;
    const config = parseConfig(io.env, configFlagValues(parsed));
    const queue = requireQueue(config);

    const reachable = await pingQueue(queue);
    if (reachable !== undefined) {
      io.stderr.write(`countd load: queue Redis ${queue.display} did not answer: ${reachable}\n`);
      return EXIT_FAILURE;
    }
    // Producer metrics are served only when a metrics port is asked for (the compose stack's
    // load generator): by default a load run beside a worker must not take the worker's port.
    const metricsAsked =
      configFlagValues(parsed)['metrics-port'] !== undefined ||
      io.env.COUNTD_METRICS_PORT !== undefined;
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const metrics = new ProducerMetrics(registry);
    const ops = metricsAsked
      ? await startOpsServer(
          { registry, ready: async () => true },
          config.metricsHost,
          config.metricsPort,
        )
      : undefined;
    if (ops !== undefined) io.stderr.write(`countd load: producer metrics on ${ops.url}/metrics\n`);
    const sinks = Array.from({ length: producers }, () =>
      Producer.fromConfig(config, { lingerMs, maxBatch, metrics }),
    );
    const generator = new LoadGenerator(
      {
        total,
        counters,
        zipf,
        seed,
        rate,
        namePrefix,
        // Producers refuse past their maxPendingIncrements; the generator waits before that.
        maxUnconfirmed: PRODUCER_DEFAULTS.maxPendingIncrements,
        signal: io.stopSignal,
      },
      sinks,
    );
    const progress =
      parsed.values.quiet === true
        ? undefined
        : startProgress(io.stderr, () => generator.progress());
    let result: LoadResult;
    try {
      result = await generator.run();
    } finally {
      progress?.stop();
      await Promise.allSettled(sinks.map((sink) => sink.close()));
      await ops?.close();
    }
    let expectCounters: number | undefined;
    if (expectFile !== undefined) {
      const totals = generator.confirmedTotals();
      expectCounters = totals.size;
      await writeExpectFile(expectFile, totals.entries());
    }
    const summary: LoadSummary = {
      total,
      sent: result.sent,
      confirmed: result.confirmed,
      failed: result.failed,
      seconds: round(result.seconds, 3),
      incrementsPerSecond: Math.round(result.incrementsPerSecond),
      jobs: result.batches,
      failedJobs: result.failedBatches,
      counters,
      zipf,
      rate,
      producers,
      seed,
      stopped: result.stopped,
      ...(expectFile === undefined ? {} : { expectFile, expectCounters }),
      errors: result.errors,
    };
    io.stdout.write(json ? `${JSON.stringify(summary, null, 2)}\n` : summaryText(summary));
    if (result.failed > 0) {
      io.stderr.write(
        `countd load: ${result.failed} increments were not confirmed by the queue (${result.errors[0] ?? 'unknown error'})\n`,
      );
      return EXIT_FAILURE;
    }
    return EXIT_OK;
  },
};

/** Fails fast with a clear message instead of every batch timing out after the producer deadline. */
async function pingQueue(queue: RedisConnection): Promise<string | undefined> {
  const redis = new Redis({
    ...toRedisOptions(queue),
    lazyConnect: true,
    connectTimeout: 5000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // The 'error' event carries the cause (ECONNREFUSED, ...); the rejection only says "closed".
  let cause: string | undefined;
  redis.on('error', (err: Error) => (cause ??= err.message));
  try {
    await redis.connect();
    await redis.ping();
    return undefined;
  } catch (err) {
    return cause ?? (err instanceof Error ? err.message : String(err));
  } finally {
    await closeConnection(redis);
  }
}

function summaryText(s: LoadSummary): string {
  const n = (value: number) => value.toLocaleString('en-US');
  const lines = [
    `${s.stopped ? 'stopped early' : 'done'}: ${n(s.sent)} of ${n(s.total)} increments sent over ${n(s.counters)} counters (zipf ${s.zipf}, ${s.producers} producer${s.producers === 1 ? '' : 's'})`,
    `confirmed  ${n(s.confirmed)} in ${n(s.jobs)} jobs`,
    `failed     ${n(s.failed)}${s.failed > 0 ? ` in ${n(s.failedJobs)} batches: ${s.errors.join('; ')}` : ''}`,
    `seconds    ${s.seconds.toFixed(3)}`,
    `rate       ${n(s.incrementsPerSecond)} increments/s confirmed${s.rate > 0 ? ` (limit ${n(s.rate)}/s)` : ''}`,
    `seed       ${s.seed}`,
  ];
  if (s.expectFile !== undefined)
    lines.push(`expect     ${s.expectFile} (${n(s.expectCounters ?? 0)} counters)`);
  return `${lines.join('\n')}\n`;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export type { CommandIo };
