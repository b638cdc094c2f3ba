import { parseArgs } from 'node:util';
import { intFlag, numberFlag, stringFlag, type ParsedArgs } from '../../workers/cli/args.js';

export const SCENARIOS = [
  's1',
  's1-uniform',
  's1-groups',
  's1-drain',
  'b1',
  'b2',
  'memory',
  'ring',
  'flush',
  'half-rate',
  'rss',
  'gateway',
  's1-replicas',
  'b3',
  'redis-benchmark',
  'storage',
  'rss-backlog',
  'ring-change',
  's1-rollups',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface BenchOptions {
  readonly quick: boolean;
  readonly json: string | undefined;
  readonly producers: number;
  readonly workers: number;
  /** Increments of S1 (and B1). */
  readonly total: number;
  /** Increments of the uniform S1 run and of B1 (quick: fewer; they are slow). */
  readonly uniformTotal: number;
  readonly directTotal: number;
  /** maxScriptCounters of the `s1-groups` run (the default's trade-off). */
  readonly largeGroups: number;
  readonly counters: number;
  readonly zipf: number;
  readonly seed: number;
  readonly flushIntervalMs: number;
  /** Runs of S1 (Zipf); the median is reported. */
  readonly repeat: number;
  /** Increments of B2 (one BullMQ job each). */
  readonly jobSample: number;
  /** Counters of the flush-path scenario. */
  readonly flushCounters: number;
  /** Seconds the half-rate run lasts. */
  readonly halfRateSeconds: number;
  readonly only: ReadonlySet<Scenario>;
  readonly aof: boolean;
  /** Write .cpuprofile files of S1's workers and producers here. */
  readonly profile: string | undefined;
  /** Extra COUNTD_* settings for S1 workers, from `--worker-env KEY=VALUE` (repeatable). */
  readonly workerEnv: Readonly<Record<string, string>>;
  /** Node flags for S1's worker processes (`--worker-node-flags "--max-semi-space-size=64"`). */
  readonly workerNodeFlags: readonly string[];
  readonly lingerMs: number | undefined;
  readonly maxBatch: number | undefined;
  readonly maxInFlight: number | undefined;
  /** Distinct counters of the storage scenario, one measurement each (1M, 10M; 30M asked for). */
  readonly storageSizes: readonly number[];
  /** HINCRBY requests of one redis-benchmark run. */
  readonly redisBenchmarkRequests: number;
}

export const HELP = `Usage: npm run bench -- [options]

Starts its own redis-server processes (1 queue + 3 storage nodes) on loopback ports, runs the
scenarios, prints a table and, with --json FILE, writes the figures.

  --quick                 a run under 2 minutes (smaller totals, 1 repetition)
  --json FILE             write the figures as JSON
  --only LIST             scenarios, comma-separated: ${SCENARIOS.join(',')}
                          (s1-groups: S1 with maxScriptCounters 20000; s1-drain: the queue
                          filled first, then the workers timed alone; both full runs only;
                          gateway: countd gateway over HTTP and StatsD TCP, and the statsd
                          daemon over UDP, full runs only unless asked for;
                          s1-replicas: S1 with a replica per Redis, COUNTD_MIN_REPLICAS
                          0 and 1 alternating, --repeat times each, full runs only;
                          s1-rollups: S1 without and with COUNTD_ROLLUPS=minute:48h,
                          hour:35d,day:400d alternating, --repeat times each, full runs only;
                          ring-change: add a 4th node to 3 holding --counters counters,
                          --repeat runs, full runs only; --profile writes the runner's profile)
  --producers N           producer processes of S1 and client processes of B1/B2 (default 2)
  --workers N             countd worker processes of S1 (default 2)
  --total N               increments of S1, S1 uniform and B1 (default 10000000; quick 3000000,
                          and 1000000 for S1 uniform and B1)
  --counters K            distinct counters (default 1000000)
  --zipf S                Zipf exponent of S1 (default 1.1); s1-uniform uses 0
  --seed X                workload seed (default 42)
  --flush-interval-ms MS  worker flush interval (default 1000)
  --repeat N              runs of S1, median reported (default 3; quick 1)
  --job-sample N          increments of B2, one job each (default 100000; quick 20000)
  --flush-counters N      counters of the flush-path scenario (default 1000000)
  --half-rate-seconds S   length of the half-rate lag run (default 15; quick 6)
  --aof                   storage and queue Redis with appendonly everysec (default off)
  --profile DIR           node --cpu-prof of S1's workers and producers into DIR
  --worker-env K=V        extra COUNTD_* setting for S1 workers (repeatable)
  --worker-node-flags F   node flags for S1 workers, e.g. "--max-semi-space-size=64"
  --linger-ms MS, --max-batch N, --max-in-flight N   producer options for S1
  --storage-30m           storage also at 30M counters (~3 GB of Redis, minutes of loading)
  --redis-benchmark-requests N   HINCRBY of one redis-benchmark run (default 3000000;
                          quick 1000000)

b3 (in-process Map flushed as pipelined HINCRBY), b1 and redis-benchmark run --repeat times,
medians reported. storage: 1M and 10M counters (quick: 1M) on fresh nodes, countd's hashes
with the default and with the bucket count "countd ring layout --buckets fit" picks, against one
key per counter.
rss-backlog: S1's increments queued first, then one worker with default settings drains them.
`;

export function parseBenchOptions(argv: readonly string[]): BenchOptions | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean' },
      json: { type: 'string' },
      only: { type: 'string' },
      producers: { type: 'string' },
      workers: { type: 'string' },
      total: { type: 'string' },
      counters: { type: 'string' },
      zipf: { type: 'string' },
      seed: { type: 'string' },
      'flush-interval-ms': { type: 'string' },
      repeat: { type: 'string' },
      'job-sample': { type: 'string' },
      'flush-counters': { type: 'string' },
      'half-rate-seconds': { type: 'string' },
      aof: { type: 'boolean' },
      profile: { type: 'string' },
      'worker-env': { type: 'string', multiple: true },
      'worker-node-flags': { type: 'string' },
      'linger-ms': { type: 'string' },
      'max-batch': { type: 'string' },
      'max-in-flight': { type: 'string' },
      'storage-30m': { type: 'boolean' },
      'redis-benchmark-requests': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return undefined;
  const quick = values.quick === true;
  // The CLI's flag parsers (`countd load` takes the same numbers): one rule for 1_000_000.
  const parsed: ParsedArgs = { values, positionals: [], help: false };
  const int = (name: string, fallback: number, min = 1): number =>
    intFlag(parsed, name, fallback, min);
  const optional = (name: string): number | undefined =>
    stringFlag(parsed, name) === undefined ? undefined : int(name, 0, 0);
  const zipf = numberFlag(parsed, 'zipf', 1.1, 0, 100);
  // s1-groups and s1-drain only in full runs unless asked for.
  let only: Set<Scenario> = new Set(
    SCENARIOS.filter(
      (x) =>
        !quick ||
        !['s1-groups', 's1-drain', 'gateway', 's1-replicas', 'ring-change', 's1-rollups'].includes(
          x,
        ),
    ),
  );
  if (values.only !== undefined) {
    only = new Set();
    for (const name of values.only.split(',')) {
      if (!(SCENARIOS as readonly string[]).includes(name))
        throw new Error(`--only: unknown scenario "${name}" (known: ${SCENARIOS.join(', ')})`);
      only.add(name as Scenario);
    }
  }
  const workerEnv: Record<string, string> = {};
  for (const pair of values['worker-env'] ?? []) {
    const at = pair.indexOf('=');
    if (at < 1 || !pair.startsWith('COUNTD_'))
      throw new Error(`--worker-env takes COUNTD_NAME=value, got "${pair}"`);
    workerEnv[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const total = int('total', quick ? 3_000_000 : 10_000_000);
  return {
    quick,
    json: values.json,
    producers: int('producers', 2),
    workers: int('workers', 2),
    total,
    uniformTotal: quick ? Math.min(total, 1_000_000) : total,
    directTotal: quick ? Math.min(total, 1_000_000) : total,
    largeGroups: 20_000,
    counters: int('counters', 1_000_000),
    zipf,
    seed: int('seed', 42, 0),
    flushIntervalMs: int('flush-interval-ms', 1000, 10),
    repeat: int('repeat', quick ? 1 : 3),
    jobSample: int('job-sample', quick ? 20_000 : 100_000),
    // Under a second per variant is too short on a shared box: quick runs fewer variants instead.
    flushCounters: int('flush-counters', 1_000_000),
    halfRateSeconds: int('half-rate-seconds', quick ? 6 : 15),
    only,
    aof: values.aof === true,
    profile: values.profile,
    workerEnv,
    workerNodeFlags: (values['worker-node-flags'] ?? '').split(/\s+/).filter((f) => f !== ''),
    lingerMs: optional('linger-ms'),
    maxBatch: optional('max-batch'),
    maxInFlight: optional('max-in-flight'),
    storageSizes: [
      1_000_000,
      ...(quick ? [] : [10_000_000]),
      ...(values['storage-30m'] === true ? [30_000_000] : []),
    ],
    redisBenchmarkRequests: int('redis-benchmark-requests', quick ? 1_000_000 : 3_000_000),
  };
}
