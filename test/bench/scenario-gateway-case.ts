import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { storedTotals } from '../support/stored-totals.js';
import { verifyTotals } from '../../workers/cli/commands/demo/verify-totals.js';
import { BenchChild, epochMs } from './bench-child.js';
import { NODE_IDS, type BenchStack } from './bench-stack.js';
import type { GatewayHttpConfig, GatewayHttpResult } from './gateway-http-client.js';
import { GatewayProcess } from './gateway-process.js';
import type { GatewayStatsdConfig, GatewayStatsdResult } from './gateway-statsd-client.js';
import { readTotals, statsdName } from './gateway-statsd-lines.js';
import { sum, type Sample } from './metrics-scrape.js';
import { CpuMeter } from './proc-stats.js';
import { verifyLaneTotals, type VerifyResult } from './verify.js';
import { WorkerProcesses } from './worker-processes.js';
import type { WorkloadSpec } from './workload.js';

export interface GatewayBenchOptions {
  readonly stack: BenchStack;
  readonly dir: string;
  readonly workers: number;
  readonly flushIntervalMs: number;
  /** HTTP: increments per run, client processes, connections each, increments per POST. */
  readonly http: {
    readonly spec: WorkloadSpec;
    readonly concurrency: number;
    readonly batch: number;
  };
  /** StatsD: one lane of `name:delta|c` lines, replayed over TCP to the gateway (and UDP to statsd). */
  readonly statsd: { readonly spec: WorkloadSpec; readonly connections: number };
  /** node --cpu-prof of the gateway of each case's first run into this directory. */
  readonly profileDir: string | undefined;
}

/** One timed run of one case: the clients against a fresh gateway, workers and emptied stack. */
export interface GatewayRun {
  readonly label: string;
  /** Increments (HTTP) or lines (StatsD) sent. */
  readonly increments: number;
  /** First send to the last one the gateway confirmed (HTTP 200; StatsD lines counted). */
  readonly ingestSeconds: number;
  readonly perSecond: number;
  /** First send to the last increment flushed by the workers. */
  readonly seconds: number;
  readonly endToEndPerSecond: number;
  readonly jobs: number;
  /** Share of one core per process over `seconds` (clients report their own CPU). */
  readonly cpuCores: Readonly<Record<string, number>>;
  /** CPU time of every process (clients, gateway, workers, queue, nodes) per increment. */
  readonly cpuUsPerIncrement: number;
  readonly gatewayCpuUsPerIncrement: number;
  readonly machineCores: number;
  readonly verify: VerifyResult;
  readonly failures: readonly string[];
}

const POLL_MS = 20;
const TIMEOUT_MS = 300_000;

type Client =
  | BenchChild<GatewayHttpConfig, GatewayHttpResult>
  | BenchChild<GatewayStatsdConfig, GatewayStatsdResult>;

/** HTTP ingest (`kind` http) or StatsD over TCP (`tcp`) through `countd gateway`, once. */
export async function runGatewayCase(
  o: GatewayBenchOptions,
  kind: 'http' | 'tcp',
  run: number,
): Promise<GatewayRun> {
  const { stack } = o;
  const label = `gateway-${kind}-${run}`;
  await stack.reset();
  const env = {
    COUNTD_QUEUE_URL: stack.queue.url,
    COUNTD_NODES: stack.nodeSpec,
    COUNTD_QUEUE_NAME: `bench-${label}`,
  };
  const workers = await WorkerProcesses.start({
    count: o.workers,
    logDir: o.dir,
    env: { ...env, COUNTD_FLUSH_INTERVAL_MS: String(o.flushIntervalMs) },
  });
  const profile =
    o.profileDir !== undefined && run === 1
      ? ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`, `--cpu-prof-name=${label}.cpuprofile`]
      : [];
  let gateway: GatewayProcess | undefined;
  const clients: Client[] = [];
  try {
    gateway = await GatewayProcess.start(env, o.dir, profile);
    const spec = kind === 'http' ? o.http.spec : o.statsd.spec;
    const files = Array.from({ length: spec.lanes }, (_, lane) =>
      join(o.dir, `${label}-expect-${lane}.f64`),
    );
    for (let lane = 0; lane < spec.lanes; lane++) {
      const base = { lane, spec, expectFile: files[lane]! };
      clients.push(
        kind === 'http'
          ? await BenchChild.start<GatewayHttpConfig, GatewayHttpResult>(
              './gateway-http-client.js',
              { ...base, url: gateway.httpUrl, ...o.http },
            )
          : await BenchChild.start<GatewayStatsdConfig, GatewayStatsdResult>(
              './gateway-statsd-client.js',
              { ...base, transport: 'tcp', port: gateway.statsdPort, ...o.statsd },
            ),
      );
    }
    const cpu = new CpuMeter(
      new Map<string, number>([
        ['gateway', gateway.pid],
        ...workers.pids.map((pid, i): [string, number] => [`worker-${i}`, pid]),
        ...stack.all.map((s): [string, number] => [`redis-${s.name}`, s.pid]),
      ]),
    );
    cpu.begin();
    for (const c of clients) c.go();
    const results: Array<GatewayHttpResult | GatewayStatsdResult> = await Promise.all(
      clients.map((c) => c.result as Promise<GatewayHttpResult | GatewayStatsdResult>),
    );
    const sent = results.reduce((s, r) => s + ('lines' in r ? r.lines : r.increments), 0);
    const firstSendMs = Math.min(...results.map((r) => r.firstSendMs));
    const deadline = Date.now() + TIMEOUT_MS;
    const waitFor = async (
      source: () => Promise<Sample[]>,
      done: (s: Sample[]) => boolean,
      what: string,
    ): Promise<Sample[]> => {
      for (;;) {
        const samples = await source();
        if (done(samples)) return samples;
        if (Date.now() > deadline) throw new Error(`${label}: ${what} within ${TIMEOUT_MS} ms`);
        await sleep(POLL_MS);
      }
    };
    let ingestEndMs: number;
    const gw = gateway;
    if (kind === 'http') {
      ingestEndMs = Math.max(...results.map((r) => ('lastAckMs' in r ? r.lastAckMs : 0)));
    } else {
      // StatsD has no answer: a line is in the queue once the gateway counts it `counted`.
      const counted = (s: Sample[]): number =>
        s
          .filter((x) => x.name === 'countd_gateway_statsd_lines_total')
          .filter((x) => x.labels.transport === 'tcp' && x.labels.outcome === 'counted')
          .reduce((t, x) => t + x.value, 0);
      await waitFor(
        () => gw.scrape(),
        (s) => counted(s) >= sent,
        'the gateway did not count every line',
      );
      ingestEndMs = epochMs();
    }
    const enqueued = await gateway.scrape();
    const jobs = sum(enqueued, 'countd_jobs_enqueued_total');
    const increments = sum(enqueued, 'countd_increments_enqueued_total');
    const flushed = await waitFor(
      () => workers.scrape(),
      (s) =>
        sum(s, 'countd_jobs_received_total') >= jobs &&
        sum(s, 'countd_increments_flushed_total') >= increments,
      'the workers did not flush everything',
    );
    const endMs = epochMs();
    const usage = cpu.end();
    const seconds = (endMs - firstSendMs) / 1000;
    const cpuCores: Record<string, number> = {};
    for (const r of results) cpuCores[`client-${r.lane}`] = r.cpuSeconds / seconds;
    Object.assign(cpuCores, usage.cores);
    const failures: string[] = [];
    for (const r of results)
      if ('failed' in r && r.failed > 0) failures.push(`client ${r.lane}: ${r.errors.join('; ')}`);
    const failedJobs = sum(flushed, 'countd_jobs_failed_total');
    if (failedJobs > 0) failures.push(`${failedJobs} jobs failed in the workers`);
    if (increments !== sent) failures.push(`gateway enqueued ${increments} of ${sent}`);
    const gatewayCode = await gateway.stop();
    const codes = await workers.stop();
    if (gatewayCode !== 0) failures.push(`gateway exit code ${gatewayCode}`);
    if (codes.some((c) => c !== 0)) failures.push(`worker exit codes ${codes.join(',')}`);
    const layout = stack.layout('countd', 4096);
    const verify =
      kind === 'http'
        ? await verifyLaneTotals(
            files,
            spec.counters,
            layout,
            stack.nodes.map((n) => n.client),
          )
        : await verifyStatsdTotals(files[0]!, spec.counters, stack);
    const perIncrement = (cores: number): number => (cores * seconds * 1e6) / sent;
    const ingestSeconds = (ingestEndMs - firstSendMs) / 1000;
    return {
      label,
      increments: sent,
      ingestSeconds,
      perSecond: sent / ingestSeconds,
      seconds,
      endToEndPerSecond: sent / seconds,
      jobs,
      cpuCores,
      cpuUsPerIncrement: perIncrement(Object.values(cpuCores).reduce((a, b) => a + b, 0)),
      gatewayCpuUsPerIncrement: perIncrement(cpuCores.gateway ?? 0),
      machineCores: usage.machineCores,
      verify,
      failures,
    };
  } finally {
    for (const c of clients) c.kill();
    await gateway?.stop(5000).catch(() => undefined);
    await workers.stop(5000).catch(() => undefined);
  }
}

/** The StatsD lane's expected totals against the nodes, under the lines' names. */
async function verifyStatsdTotals(
  file: string,
  counters: number,
  stack: BenchStack,
): Promise<VerifyResult> {
  const expected = readTotals(file, counters, statsdName);
  const nodes = new Map(NODE_IDS.map((id, n) => [id, stack.nodes[n]!.client]));
  const check = await verifyTotals(expected, storedTotals(stack.layout('countd', 4096), nodes));
  return {
    exact: check.mismatches.length === 0,
    checked: check.checked,
    mismatches: check.mismatches.length,
    examples: check.mismatches.slice(0, 5).map((m) => `${m.name}: ${m.stored} != ${m.expected}`),
  };
}
