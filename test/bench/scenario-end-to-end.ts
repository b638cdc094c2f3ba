import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BenchChild } from './bench-child.js';
import type { BenchStack } from './bench-stack.js';
import { LagProbe, type ProbeResult } from './lag-probe.js';
import { histogram, quantile, sum, type Sample } from './metrics-scrape.js';
import { CpuMeter, RssSampler, cpuUsPerIncrementByKind, type CpuByKind } from './proc-stats.js';
import type { ProducerConfig, ProducerResult } from './producer-process.js';
import { verifyLaneTotals, type VerifyResult } from './verify.js';
import { WorkerProcesses } from './worker-processes.js';
import type { WorkloadSpec } from './workload.js';

export interface EndToEndOptions {
  readonly label: string;
  readonly stack: BenchStack;
  /** Scratch directory (expected totals, worker logs, profiles). */
  readonly dir: string;
  /** `lanes` is the number of producer processes. */
  readonly spec: WorkloadSpec;
  readonly workers: number;
  readonly flushIntervalMs: number;
  /** Increments/s over all producers; 0: unbounded. */
  readonly rate: number;
  /** More COUNTD_* settings for the workers (concurrency, buffer limits, ...). */
  readonly workerEnv?: Readonly<Record<string, string>>;
  readonly workerNodeFlags?: readonly string[];
  readonly lingerMs?: number;
  readonly maxBatch?: number;
  readonly maxInFlight?: number;
  /** The producers' `minReplicas` (the workers take COUNTD_MIN_REPLICAS from `workerEnv`). */
  readonly producerMinReplicas?: number;
  /** More processes whose CPU the run counts (e.g. the stack's replicas), by name. */
  readonly meteredPids?: ReadonlyMap<string, number>;
  /** Write .cpuprofile files of the workers and producers into this directory. */
  readonly profileDir?: string;
  readonly verify: boolean;
  /**
   * Producers fill the queue first, with no worker running; the workers start after and the
   * clock runs from their start to the last flush: the consumer side alone on the machine.
   */
  readonly phased?: boolean;
}

export interface EndToEndResult {
  readonly label: string;
  readonly producers: number;
  readonly workers: number;
  readonly total: number;
  readonly zipf: number;
  readonly flushIntervalMs: number;
  readonly rate: number;
  /** First send to last flush (every increment durable in storage). */
  readonly seconds: number;
  readonly incrementsPerSecond: number;
  /** First send to the last batch confirmed by the queue. */
  readonly enqueueSeconds: number;
  readonly jobs: number;
  readonly pairs: number;
  readonly storageCommands: number;
  /** HINCRBY calls the nodes counted (INFO commandstats), a cross-check of the above. */
  readonly hincrbyCalls: number;
  readonly storageCommandsPerIncrement: number;
  readonly lagP50Ms: number;
  readonly lagP99Ms: number;
  /** The summed countd_lag_seconds histogram: `[upper bound s, jobs at or below]`. */
  readonly lagBuckets: ReadonlyArray<readonly [number, number]>;
  /** Exact lag of probe increments, sent every 20 ms and seen on the nodes' update channel. */
  readonly probe: ProbeResult;
  readonly peakWorkerRssMb: number;
  /** Apply scripts of 1 ms or more on the nodes (slow log): count, median and longest, ms. */
  readonly scripts: { readonly count: number; readonly p50Ms: number; readonly maxMs: number };
  /** Share of one core each process used during the run. */
  readonly cpuCores: Readonly<Record<string, number>>;
  /** CPU time of all those processes together per increment: what 1M increments/s costs in cores. */
  readonly cpuUsPerIncrement: number;
  /** The same split per process kind (producers, workers, queue, nodes, other). */
  readonly cpuByKind: CpuByKind;
  /** Whole machine (every process, not only ours), in cores. */
  readonly machineCores: number;
  readonly verify: VerifyResult | undefined;
  /** Worker counters a correct run keeps at jobs / 0 / 0. */
  readonly jobsReceived: number;
  readonly duplicatePartsSkipped: number;
  readonly flushErrors: number;
  readonly failures: readonly string[];
}

const DONE_POLL_MS = 10;
const DONE_TIMEOUT_MS = 300_000;

/**
 * S1: producer processes → BullMQ → `countd worker` processes → storage nodes. The clock runs
 * from the first increment sent to the moment the workers report every job received and every
 * increment durable (`countd_increments_flushed_total`, which counts the `n` increments each job
 * stands for); the totals are then read back from the nodes and compared.
 */
export async function runEndToEnd(o: EndToEndOptions): Promise<EndToEndResult> {
  const { stack, spec } = o;
  await stack.reset();
  const queueName = `bench-${o.label}`;
  const profileArgs =
    o.profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`];
  const startWorkers = (): Promise<WorkerProcesses> =>
    WorkerProcesses.start({
      count: o.workers,
      logDir: o.dir,
      execArgv: [...profileArgs, ...(o.workerNodeFlags ?? [])],
      env: {
        COUNTD_QUEUE_URL: stack.queue.url,
        COUNTD_NODES: stack.nodeSpec,
        COUNTD_QUEUE_NAME: queueName,
        COUNTD_FLUSH_INTERVAL_MS: String(o.flushIntervalMs),
        ...o.workerEnv,
      },
    });
  let started: WorkerProcesses | undefined = o.phased === true ? undefined : await startWorkers();
  const producers: Array<BenchChild<ProducerConfig, ProducerResult>> = [];
  let probe: LagProbe | undefined;
  try {
    probe = await LagProbe.start(
      stack.queue.url,
      queueName,
      stack.nodes.map((n) => n.url),
      stack.layout('countd', 4096).keys.updatesChannel(),
    );
    const expectFiles = Array.from({ length: spec.lanes }, (_, lane) =>
      join(o.dir, `${o.label}-expect-${lane}.f64`),
    );
    for (let lane = 0; lane < spec.lanes; lane++) {
      producers.push(
        await BenchChild.start<ProducerConfig, ProducerResult>(
          './producer-process.js',
          {
            queueUrl: stack.queue.url,
            queueName,
            lane,
            spec,
            mode: 'stream',
            rate: o.rate / spec.lanes,
            expectFile: expectFiles[lane]!,
            lingerMs: o.lingerMs,
            maxBatch: o.maxBatch,
            maxInFlight: o.maxInFlight,
            minReplicas: o.producerMinReplicas,
          },
          profileArgs,
        ),
      );
    }
    // Producers exit once done: they report their own CPU time.
    const meter = (workers: WorkerProcesses): { cpu: CpuMeter; rss: RssSampler } => {
      const cpu = new CpuMeter(
        new Map<string, number>([
          ...workers.pids.map((pid, i): [string, number] => [`worker-${i}`, pid]),
          ...stack.all.map((s): [string, number] => [`redis-${s.name}`, s.pid]),
          ...(o.meteredPids ?? new Map<string, number>()),
        ]),
      );
      cpu.begin();
      return { cpu, rss: new RssSampler(() => workers.pids) };
    };
    let meters = started === undefined ? undefined : meter(started);
    for (const p of producers) p.go();
    probe.begin();
    const results = await Promise.all(producers.map((p) => p.result));
    const probed = await probe.stopSending();
    let drainStartMs: number | undefined;
    if (started === undefined) {
      started = await startWorkers();
      drainStartMs = performance.timeOrigin + performance.now();
      meters = meter(started);
    }
    const { cpu, rss } = meters!;
    const workers = started;
    // One warm-up job of one increment per producer (sent before `go`) is flushed too.
    const target =
      results.reduce((s, r) => s + r.enqueuedIncrements, 0) + results.length + probed.increments;
    const jobs = results.reduce((s, r) => s + r.jobs, 0) + results.length + probed.jobs;
    const deadline = Date.now() + DONE_TIMEOUT_MS;
    const done = (samples: Sample[]): boolean =>
      sum(samples, 'countd_jobs_received_total') >= jobs &&
      sum(samples, 'countd_increments_flushed_total') >= target;
    let samples = await workers.scrape();
    while (!done(samples)) {
      if (Date.now() > deadline) throw new Error(`${o.label}: workers did not flush everything`);
      await sleep(DONE_POLL_MS);
      samples = await workers.scrape();
    }
    const endMs = performance.timeOrigin + performance.now();
    const usage = cpu.end();
    const peakRss = rss.stop();
    const firstSendMs = Math.min(...results.map((r) => r.firstSendMs));
    const lastConfirmMs = Math.max(...results.map((r) => r.lastConfirmMs));
    const increments = results.reduce((s, r) => s + r.increments, 0);
    const seconds = (endMs - (drainStartMs ?? firstSendMs)) / 1000;
    const cpuCores: Record<string, number> = {};
    // In a phased run the producers were done before the clock started.
    if (drainStartMs === undefined)
      for (const r of results) cpuCores[`producer-${r.lane}`] = r.cpuSeconds / seconds;
    Object.assign(cpuCores, usage.cores);
    const lag = histogram(samples, 'countd_lag_seconds');
    const storageCommands = sum(samples, 'countd_storage_commands_total');
    const failures: string[] = [];
    for (const r of results) {
      if (r.failed) failures.push(`lane ${r.lane}: ${r.errors.join('; ')}`);
    }
    const jobsReceived = sum(samples, 'countd_jobs_received_total');
    const duplicatePartsSkipped = sum(samples, 'countd_duplicate_parts_skipped_total');
    const flushErrors = sum(samples, 'countd_flush_errors_total');
    const failedJobs = sum(samples, 'countd_jobs_failed_total');
    if (failedJobs > 0) failures.push(`${failedJobs} jobs failed in the workers`);
    const hincrbyCalls = await stack.storageCalls('hincrby');
    const scriptMs = await stack.scriptTimes();
    const codes = await workers.stop();
    if (codes.some((c) => c !== 0)) failures.push(`worker exit codes ${codes.join(',')}`);
    let verify: VerifyResult | undefined;
    if (o.verify) {
      verify = await verifyLaneTotals(
        expectFiles,
        spec.counters,
        stack.layout('countd', 4096),
        stack.nodes.map((n) => n.client),
      );
    }
    return {
      label: o.label,
      producers: spec.lanes,
      workers: o.workers,
      total: increments,
      zipf: spec.zipf,
      flushIntervalMs: o.flushIntervalMs,
      rate: o.rate,
      seconds,
      incrementsPerSecond: increments / seconds,
      enqueueSeconds: (lastConfirmMs - firstSendMs) / 1000,
      jobs: jobs - results.length - probed.jobs,
      pairs: results.reduce((s, r) => s + r.pairs, 0),
      storageCommands,
      hincrbyCalls,
      storageCommandsPerIncrement: storageCommands / increments,
      lagP50Ms: quantile(lag, 0.5) * 1000,
      lagP99Ms: quantile(lag, 0.99) * 1000,
      probe: probe.result(),
      lagBuckets: lag.map(([le, count]): [number, number] => [le === Infinity ? -1 : le, count]),
      peakWorkerRssMb: peakRss / 2 ** 20,
      scripts: {
        count: scriptMs.length,
        p50Ms: scriptMs[scriptMs.length >> 1] ?? 0,
        maxMs: scriptMs[scriptMs.length - 1] ?? 0,
      },
      cpuCores,
      cpuUsPerIncrement:
        (Object.values(cpuCores).reduce((a, b) => a + b, 0) * seconds * 1e6) / increments,
      cpuByKind: cpuUsPerIncrementByKind(cpuCores, seconds, increments),
      machineCores: usage.machineCores,
      verify,
      jobsReceived,
      duplicatePartsSkipped,
      flushErrors,
      failures,
    };
  } finally {
    await probe?.close();
    for (const p of producers) p.kill();
    await started?.stop(5000).catch(() => undefined);
  }
}
