/**
 * `npm run bench [-- options]`: countd end to end against its baselines, on redis-server
 * processes the bench starts itself. See docs/performance.md and `--help`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { BenchStack } from './bench-stack.js';
import { HELP, parseBenchOptions, type BenchOptions } from './bench-options.js';
import { formatReport, median, type BenchReport } from './bench-report.js';
import { costFigures, medianRun, type CostInputs } from './cost-report.js';
import { runRingBench, type RingBenchResult } from './ring-bench.js';
import { runInProcess, type InProcessBaselineResult } from './scenario-b3.js';
import { runRedisBenchmark, type RedisBenchmarkResult } from './scenario-redis-benchmark.js';
import { runStorage, type StorageResult } from './scenario-storage.js';
import { runDirect, runJobPerIncrement, type BaselineResult } from './scenario-baselines.js';
import { runEndToEnd, type EndToEndOptions, type EndToEndResult } from './scenario-end-to-end.js';
import { runFlushPath, type FlushPathRun } from './scenario-flush-path.js';
import { gatewayFigures, runGatewayBench, type GatewayBenchResult } from './scenario-gateway.js';
import { runMemory, type MemoryResult } from './scenario-memory.js';
import { ringChangeFigures, runRingChange, type RingChangeResult } from './scenario-ring-change.js';
import { rollupsFigures, runRollups, type RollupsResult } from './scenario-rollups.js';
import {
  minReplicasFigures,
  runMinReplicas,
  type MinReplicasResult,
} from './scenario-min-replicas.js';
import { runWorkerRss, type WorkerRssResult } from './scenario-worker-rss.js';

const BUCKETS = 4096;
const began = performance.now();

function progress(message: string): void {
  process.stderr.write(
    `[${((performance.now() - began) / 1000).toFixed(0).padStart(4)} s] ${message}\n`,
  );
}

function redisVersion(): string {
  try {
    return (
      /v=(\S+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))?.[1] ?? '?'
    );
  } catch {
    return '?';
  }
}

async function main(o: BenchOptions): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'countd-bench-run-'));
  let ring: RingBenchResult | undefined;
  if (o.only.has('ring')) {
    // In-process and CPU-bound for seconds: run before any connection could time out.
    progress('ring lookups (runRingBench quick)');
    ring = await runRingBench({ quick: true });
  }
  const stack = await BenchStack.start(o.aof);
  progress(`redis-server: queue ${stack.queue.url}, nodes ${stack.nodeSpec}; scratch ${dir}`);
  const spec = (total: number, zipf: number) => ({
    counters: o.counters,
    zipf,
    seed: o.seed,
    total,
    lanes: o.producers,
  });
  const endToEnd = (
    label: string,
    total: number,
    zipf: number,
    rate: number,
    workerEnv: Record<string, string> = {},
    phased = false,
    extra: Partial<EndToEndOptions> = {},
  ) =>
    runEndToEnd({
      label,
      stack,
      dir,
      spec: spec(total, zipf),
      workers: o.workers,
      flushIntervalMs: o.flushIntervalMs,
      rate,
      workerEnv: { ...o.workerEnv, ...workerEnv },
      workerNodeFlags: o.workerNodeFlags,
      lingerMs: o.lingerMs,
      maxBatch: o.maxBatch,
      maxInFlight: o.maxInFlight,
      profileDir: label.startsWith('s1-') && label !== 's1-uniform' ? o.profile : undefined,
      verify: true,
      phased,
      ...extra,
    });
  const s1: EndToEndResult[] = [];
  let s1Groups: EndToEndResult | undefined;
  let s1Drain: EndToEndResult | undefined;
  let s1Uniform: EndToEndResult | undefined;
  let halfRate: EndToEndResult | undefined;
  let direct: BaselineResult | undefined;
  const directRuns: BaselineResult[] = [];
  const inProcess: InProcessBaselineResult[] = [];
  const inProcessRaw: InProcessBaselineResult[] = [];
  const redisBenchmark: RedisBenchmarkResult[] = [];
  let storage: StorageResult | undefined;
  let rssBacklog: EndToEndResult | undefined;
  let jobPerIncrement: BaselineResult | undefined;
  let memory: MemoryResult | undefined;
  const flushPath: FlushPathRun[] = [];
  let workerRss: WorkerRssResult | undefined;
  let gateway: GatewayBenchResult | undefined;
  let minReplicas: MinReplicasResult | undefined;
  let ringChange: RingChangeResult | undefined;
  let rollups: RollupsResult | undefined;
  try {
    if (o.only.has('flush')) {
      // [group size, publish, watched]: publishing costs only while someone subscribes.
      const variants: Array<[number, boolean, boolean]> = o.quick
        ? [
            [5000, true, true],
            [5000, true, false],
            [5000, false, false],
          ]
        : [
            [1000, true, true],
            [2000, true, true],
            [5000, true, true],
            [10000, true, true],
            [5000, true, false],
            [5000, false, false],
          ];
      for (const [size, publish, watched] of variants) {
        progress(
          `flush path: ${o.flushCounters} counters, groups of ${size}, publish ${publish}, watched ${watched}`,
        );
        flushPath.push(await runFlushPath(stack, o.flushCounters, size, publish, watched));
      }
    }
    if (o.only.has('memory')) {
      progress(`storage memory: ${o.counters} counters, hashes vs one key each`);
      memory = await runMemory(dir, o.counters, BUCKETS);
    }
    if (o.only.has('s1')) {
      for (let i = 1; i <= o.repeat; i++) {
        progress(`S1 run ${i}/${o.repeat}: ${o.total} increments, Zipf ${o.zipf}`);
        const run = await endToEnd(`s1-${i}`, o.total, o.zipf, 0);
        progress(`  ${Math.round(run.incrementsPerSecond)} incr/s, exact ${run.verify?.exact}`);
        s1.push(run);
      }
    }
    if (o.only.has('s1-groups')) {
      progress(`S1 with flush groups of ${o.largeGroups}: ${o.total} increments, Zipf ${o.zipf}`);
      s1Groups = await endToEnd('s1-groups', o.total, o.zipf, 0, {
        COUNTD_MAX_SCRIPT_COUNTERS: String(o.largeGroups),
      });
      progress(`  ${Math.round(s1Groups.incrementsPerSecond)} incr/s`);
    }
    if (o.only.has('s1-drain')) {
      progress(`S1 consumer side alone: ${o.total} increments queued first, then the workers`);
      s1Drain = await endToEnd('s1-drain', o.total, o.zipf, 0, {}, true);
      progress(`  ${Math.round(s1Drain.incrementsPerSecond)} incr/s`);
    }
    if (o.only.has('s1-uniform')) {
      progress(`S1 uniform: ${o.uniformTotal} increments`);
      s1Uniform = await endToEnd('s1-uniform', o.uniformTotal, 0, 0);
      progress(`  ${Math.round(s1Uniform.incrementsPerSecond)} incr/s`);
    }
    if (o.only.has('b1')) {
      for (let i = 1; i <= o.repeat; i++) {
        progress(`B1 run ${i}/${o.repeat}: ${o.directTotal} increments, ${o.producers} processes`);
        const run = await runDirect(stack, dir, spec(o.total, o.zipf), o.directTotal);
        progress(`  ${Math.round(run.incrementsPerSecond)} incr/s`);
        directRuns.push(run);
      }
      direct = medianRun(directRuns);
    }
    if (o.only.has('b3')) {
      for (let i = 1; i <= o.repeat; i++) {
        for (const writer of ['ioredis', 'raw'] as const) {
          progress(`B3 in-process Map (${writer}) run ${i}/${o.repeat}: ${o.total} increments`);
          const run = await runInProcess(stack, dir, spec(o.total, o.zipf), {
            flushIntervalMs: o.flushIntervalMs,
            writer,
            label: `b3-${writer}-${i}`,
            profileDir: o.profile,
          });
          progress(`  ${Math.round(run.incrementsPerSecond)} incr/s, exact ${run.verify?.exact}`);
          (writer === 'raw' ? inProcessRaw : inProcess).push(run);
        }
      }
    }
    if (o.only.has('redis-benchmark')) {
      for (let i = 1; i <= o.repeat; i++) {
        progress(`redis-benchmark run ${i}/${o.repeat}: ${o.redisBenchmarkRequests} HINCRBY`);
        const run = await runRedisBenchmark(dir, o.redisBenchmarkRequests);
        progress(`  ${Math.round(run.hincrbyPerSecond)} HINCRBY/s`);
        redisBenchmark.push(run);
      }
    }
    if (o.only.has('rss-backlog')) {
      progress(`worker RSS under a backlog: ${o.total} increments queued, then 1 worker`);
      rssBacklog = await endToEnd('rss-backlog', o.total, o.zipf, 0, {}, true, { workers: 1 });
      progress(`  peak ${Math.round(rssBacklog.peakWorkerRssMb)} MB`);
    }
    if (o.only.has('storage')) {
      storage = await runStorage(dir, o.storageSizes, BUCKETS, progress);
    }
    if (o.only.has('b2')) {
      progress(`B2 one job per increment: ${o.jobSample} increments`);
      jobPerIncrement = await runJobPerIncrement(
        stack,
        dir,
        spec(o.total, o.zipf),
        o.jobSample,
        o.workers,
      );
      progress(`  ${Math.round(jobPerIncrement.incrementsPerSecond)} incr/s`);
    }
    if (o.only.has('half-rate')) {
      const max = s1.length > 0 ? median(s1.map((s) => s.incrementsPerSecond)) : 1_000_000;
      const rate = Math.round(max / 2);
      progress(`S1 at half rate: ${rate} incr/s for ${o.halfRateSeconds} s`);
      halfRate = await endToEnd('half-rate', rate * o.halfRateSeconds, o.zipf, rate);
      progress(`  lag p99 ${Math.round(halfRate.lagP99Ms)} ms`);
    }
    if (o.only.has('rss')) {
      progress(`worker RSS with ${o.counters} distinct counters buffered`);
      workerRss = await runWorkerRss(stack, dir, o.counters, o.producers);
    }
    if (o.only.has('gateway')) {
      // Totals of their own: 10M increments per run would be minutes of HTTP at the goal rate.
      const gatewayTotal = o.quick ? 1_000_000 : 3_000_000;
      gateway = await runGatewayBench(
        {
          stack,
          dir,
          workers: o.workers,
          flushIntervalMs: o.flushIntervalMs,
          http: { spec: spec(gatewayTotal, o.zipf), concurrency: 8, batch: 1000 },
          // StatsD deployments name thousands of metrics, not a million: 10,000 names.
          statsd: {
            spec: { counters: 10_000, zipf: o.zipf, seed: o.seed, total: gatewayTotal, lanes: 1 },
            connections: 4,
          },
          profileDir: o.profile,
        },
        o.repeat,
        progress,
      );
    }
    if (o.only.has('ring-change')) {
      ringChange = await runRingChange(
        stack,
        dir,
        o.counters,
        BUCKETS,
        o.repeat,
        o.profile,
        progress,
      );
    }
    if (o.only.has('s1-rollups')) {
      rollups = await runRollups(
        stack,
        o.repeat,
        (label, workerEnv) => endToEnd(label, o.total, o.zipf, 0, workerEnv),
        progress,
      );
    }
    if (o.only.has('s1-replicas')) {
      // Last: the replicas it adds stay out of every other scenario.
      minReplicas = await runMinReplicas(
        stack,
        dir,
        o.aof,
        o.repeat,
        (label, workerEnv, extra) => endToEnd(label, o.total, o.zipf, 0, workerEnv, false, extra),
        progress,
      );
    }
  } finally {
    await stack.stop();
  }
  rmSync(dir, { recursive: true, force: true });

  const s1Rate = s1.length > 0 ? median(s1.map((s) => s.incrementsPerSecond)) : NaN;
  const pick = (get: (s: EndToEndResult) => number): number | null =>
    s1.length > 0 ? median(s1.map(get)) : null;
  const headlineFlush = flushPath.find((f) => f.groupSize === 5000 && f.publish && f.watched);
  const cost: CostInputs = {
    s1,
    direct: directRuns,
    inProcess,
    inProcessRaw,
    redisBenchmark,
    rssBacklog,
    halfRate,
    storage,
  };
  const figures: Record<string, number | boolean | null> = {
    increments_per_s: s1.length > 0 ? s1Rate : null,
    increments_per_s_uniform: s1Uniform?.incrementsPerSecond ?? null,
    increments_per_s_groups_20000: s1Groups?.incrementsPerSecond ?? null,
    increments_per_s_consumer_side_alone: s1Drain?.incrementsPerSecond ?? null,
    storage_commands_per_increment_groups_20000: s1Groups?.storageCommandsPerIncrement ?? null,
    baseline_direct_per_s: direct?.incrementsPerSecond ?? null,
    baseline_job_per_increment_per_s: jobPerIncrement?.incrementsPerSecond ?? null,
    ratio_vs_direct:
      direct !== undefined && s1.length > 0 ? s1Rate / direct.incrementsPerSecond : null,
    ratio_vs_job_per_increment:
      jobPerIncrement !== undefined && s1.length > 0
        ? s1Rate / jobPerIncrement.incrementsPerSecond
        : null,
    storage_commands_per_increment: pick((s) => s.storageCommandsPerIncrement),
    storage_commands_per_increment_uniform: s1Uniform?.storageCommandsPerIncrement ?? null,
    lag_p50_ms: pick((s) => s.lagP50Ms),
    lag_p99_ms: pick((s) => s.lagP99Ms),
    worker_rss_mb: s1.length > 0 ? Math.max(...s1.map((s) => s.peakWorkerRssMb)) : null,
    bytes_per_counter: memory?.bytesPerCounter ?? null,
    bytes_per_counter_key_per_counter: memory?.bytesPerCounterKeyPerCounter ?? null,
    bytes_ratio: memory?.ratio ?? null,
    exact:
      s1.length > 0 || s1Uniform !== undefined
        ? [...s1, s1Uniform, s1Groups, s1Drain, halfRate, rssBacklog].every(
            (s) => s === undefined || s.verify?.exact === true,
          ) &&
          [...directRuns, ...inProcess, ...inProcessRaw, jobPerIncrement].every(
            (b) => b === undefined || b.verify?.exact === true,
          ) &&
          (workerRss === undefined || workerRss.verify.exact)
        : null,
    flush_path_hincrby_per_s: headlineFlush?.hincrbyPerSecond ?? null,
    lag_half_rate_p50_ms: halfRate?.lagP50Ms ?? null,
    lag_half_rate_p99_ms: halfRate?.lagP99Ms ?? null,
    lag_half_rate_probe_p50_ms: halfRate?.probe.p50Ms ?? null,
    lag_half_rate_probe_p99_ms: halfRate?.probe.p99Ms ?? null,
    lag_probe_p99_ms: pick((s) => s.probe.p99Ms),
    half_rate_per_s: halfRate?.rate ?? null,
    rss_1m_buffered_mb: workerRss?.bufferedRssMb ?? null,
    ring_lookups_zipf_memoized_per_s: ring?.lookupsPerSecond.zipfMemoized ?? null,
    ring_lookups_uncached_per_s: ring?.lookupsPerSecond.uncached ?? null,
    ring_lookups_cold_per_s: ring?.lookupsPerSecond.cold ?? null,
    ...gatewayFigures(gateway),
    ...minReplicasFigures(minReplicas),
    ...costFigures(cost),
    ...ringChangeFigures(ringChange),
    ...rollupsFigures(rollups),
  };
  const report: BenchReport = {
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpu: cpus()[0]?.model ?? '?',
      memGiB: Math.round(totalmem() / 1024 ** 3),
      node: process.version,
      redis: redisVersion(),
    },
    settings: {
      quick: o.quick,
      producers: o.producers,
      workers: o.workers,
      total: o.total,
      counters: o.counters,
      zipf: o.zipf,
      flushIntervalMs: o.flushIntervalMs,
      aof: o.aof,
      ...(Object.keys(o.workerEnv).length > 0 ? { workerEnv: JSON.stringify(o.workerEnv) } : {}),
      ...(o.workerNodeFlags.length > 0 ? { workerNodeFlags: o.workerNodeFlags.join(' ') } : {}),
      ...(o.maxBatch !== undefined ? { maxBatch: o.maxBatch } : {}),
      ...(o.lingerMs !== undefined ? { lingerMs: o.lingerMs } : {}),
      ...(o.maxInFlight !== undefined ? { maxInFlight: o.maxInFlight } : {}),
    },
    figures,
    s1,
    s1Uniform,
    s1Groups,
    s1Drain,
    halfRate,
    direct,
    jobPerIncrement,
    memory,
    flushPath,
    workerRss,
    ring,
    gateway,
    minReplicas,
    ringChange,
    rollups,
    cost,
    seconds: (performance.now() - began) / 1000,
  };
  process.stdout.write(formatReport(report));
  if (o.json !== undefined) {
    writeFileSync(o.json, `${JSON.stringify(report, null, 2)}\n`);
    progress(`figures written to ${o.json}`);
  }
}

// Every redis-server the bench starts (4 for the stack, 6 more for the memory scenario) hooks
// `exit` so none outlives it: more than the default 10 listeners, none of them a leak.
process.setMaxListeners(32);
const options = parseBenchOptions(process.argv.slice(2));
if (options === undefined) process.stdout.write(HELP);
else await main(options);
