/**
 * What each increment costs, against the baselines (issue 13): CPU per increment per process
 * kind for S1 and the baselines, B3 (in-process aggregation), redis-benchmark's HINCRBY limit,
 * worker RSS under a backlog with default settings, and storage bytes per counter by size.
 * Figures for `--json` and rows for the table.
 */
import { median } from './bench-report.js';
import { cpuUsPerIncrementByKind, medianByKind, type CpuByKind } from './proc-stats.js';
import type { BaselineResult } from './scenario-baselines.js';
import type { InProcessBaselineResult } from './scenario-b3.js';
import type { EndToEndResult } from './scenario-end-to-end.js';
import type { RedisBenchmarkResult } from './scenario-redis-benchmark.js';
import type { StorageLayoutRun, StorageResult } from './scenario-storage.js';

export interface CostInputs {
  readonly s1: readonly EndToEndResult[];
  readonly direct: readonly BaselineResult[];
  /** B3 through ioredis pipelines (the headline) and as raw RESP (the client floor). */
  readonly inProcess: readonly InProcessBaselineResult[];
  readonly inProcessRaw: readonly InProcessBaselineResult[];
  readonly redisBenchmark: readonly RedisBenchmarkResult[];
  readonly rssBacklog: EndToEndResult | undefined;
  readonly halfRate: EndToEndResult | undefined;
  readonly storage: StorageResult | undefined;
}

/** Targets of issue 13. */
export const COST_GOALS = {
  cpuUsPerIncrement: 1.2,
  cpuCheaperThanDirect: 8,
  cpuVsInProcess: 2,
  vsRedisBenchmark: 1.1,
  workerRssMb: 300,
  bytesRatio: 1 / 3,
} as const;

interface CostRow {
  readonly what: string;
  readonly figure: string;
  readonly target: string;
  readonly ok: boolean | undefined;
}

type Figures = Record<string, number | boolean | null>;

const int = (v: number): string =>
  Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '-';
const fixed = (v: number, digits: number): string => (Number.isFinite(v) ? v.toFixed(digits) : '-');

export function baselineCpu(b: BaselineResult): CpuByKind {
  return cpuUsPerIncrementByKind(b.cpuCores, b.seconds, b.increments);
}

const medianOr = (values: readonly number[]): number | null =>
  values.length === 0 ? null : median(values);

/** `1m`, `10m`, `30m` for whole millions, else the count. */
export function sizeLabel(counters: number): string {
  return counters % 1_000_000 === 0 ? `${counters / 1_000_000}m` : String(counters);
}

/** The run whose rate is the median (the lower middle of an even count). */
export function medianRun<T extends { incrementsPerSecond: number }>(
  runs: readonly T[],
): T | undefined {
  const sorted = [...runs].sort((a, b) => a.incrementsPerSecond - b.incrementsPerSecond);
  return sorted[(sorted.length - 1) >> 1];
}

export function costFigures(c: CostInputs): Figures {
  const s1 =
    c.s1.length > 0
      ? medianByKind(
          c.s1.map((s) => s.cpuByKind),
          median,
        )
      : undefined;
  const s1Rate = medianOr(c.s1.map((s) => s.incrementsPerSecond));
  const direct = medianOr(c.direct.map((b) => baselineCpu(b).total));
  const inProcess = medianOr(c.inProcess.map((b) => baselineCpu(b).total));
  const inProcessRate = medianOr(c.inProcess.map((b) => b.incrementsPerSecond));
  const raw = medianOr(c.inProcessRaw.map((b) => baselineCpu(b).total));
  const rb = medianOr(c.redisBenchmark.map((r) => r.hincrbyPerSecond));
  const ratio = (a: number | null | undefined, b: number | null | undefined): number | null =>
    a === null || a === undefined || b === null || b === undefined ? null : a / b;
  const figures: Figures = {
    cpu_us_per_increment: s1?.total ?? null,
    cpu_us_per_increment_producers: s1?.producers ?? null,
    cpu_us_per_increment_workers: s1?.workers ?? null,
    cpu_us_per_increment_queue: s1?.queue ?? null,
    cpu_us_per_increment_nodes: s1?.nodes ?? null,
    cpu_us_per_increment_direct: direct,
    ratio_cpu_vs_direct: ratio(direct, s1?.total),
    increments_per_s_inprocess: inProcessRate,
    cpu_us_per_increment_inprocess: inProcess,
    ratio_cpu_vs_inprocess: ratio(s1?.total, inProcess),
    ratio_vs_inprocess: ratio(s1Rate, inProcessRate),
    increments_per_s_inprocess_raw: medianOr(c.inProcessRaw.map((b) => b.incrementsPerSecond)),
    cpu_us_per_increment_inprocess_raw: raw,
    ratio_cpu_vs_inprocess_raw: ratio(s1?.total, raw),
    redis_benchmark_hincrby_per_s: rb,
    redis_benchmark_node_cpu_us_per_hincrby: medianOr(c.redisBenchmark.map((r) => r.nodeCpuUs)),
    ratio_vs_redis_benchmark: ratio(s1Rate, rb),
    worker_rss_backlog_mb: c.rssBacklog?.peakWorkerRssMb ?? null,
    // The half-rate target is judged on the probes (exact lag), not the interpolated histogram.
    lag_p99_ms_half_rate: c.halfRate?.probe.p99Ms ?? null,
    hash_max_listpack_entries: c.storage?.listpackEntries ?? null,
  };
  for (const size of c.storage?.sizes ?? []) {
    const l = sizeLabel(size.counters);
    const keys = size.keyPerCounter.bytesPerCounter;
    figures[`bytes_per_counter_${l}`] = size.defaultLayout.bytesPerCounter;
    figures[`bytes_per_counter_fitted_${l}`] = size.fittedLayout.bytesPerCounter;
    figures[`bytes_per_counter_key_per_counter_${l}`] = keys;
    figures[`bytes_ratio_${l}`] = size.defaultLayout.bytesPerCounter / keys;
    figures[`bytes_ratio_fitted_${l}`] = size.fittedLayout.bytesPerCounter / keys;
    figures[`buckets_fitted_${l}`] = size.fittedLayout.buckets;
  }
  return figures;
}

const kinds = (k: CpuByKind): string =>
  `producers ${fixed(k.producers, 2)}, workers ${fixed(k.workers, 2)}, queue ${fixed(k.queue, 2)}, ` +
  `nodes ${fixed(k.nodes, 2)}${k.other > 0 ? `, other ${fixed(k.other, 2)}` : ''}`;

function encodingsOf(run: StorageLayoutRun): string {
  return Object.entries(run.encodings)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

function storageRows(s: StorageResult): CostRow[] {
  const rows: CostRow[] = [
    {
      what: 'redis-server without a config file: hash-max-listpack-entries / -value',
      figure: `${s.listpackEntries} / ${s.listpackValueBytes} B`,
      target: '',
      ok: undefined,
    },
  ];
  for (const size of s.sizes) {
    const keys = size.keyPerCounter.bytesPerCounter;
    const hashes = (label: string, run: StorageLayoutRun): CostRow => ({
      what: `  ${label} (${int(run.buckets)} buckets/node)`,
      figure:
        `${fixed(run.bytesPerCounter, 1)} B/counter, x${fixed(run.bytesPerCounter / keys, 3)} ` +
        `(${fixed(run.meanFieldsPerHash, 0)} fields/hash, max ${int(run.maxFieldsPerHash)}; ${encodingsOf(run)})`,
      target: `<= x${fixed(COST_GOALS.bytesRatio, 3)}`,
      ok: run.bytesPerCounter / keys <= COST_GOALS.bytesRatio,
    });
    rows.push(
      {
        what: `storage at ${int(size.counters)} counters on 3 nodes, one key per counter`,
        figure: `${fixed(keys, 1)} B/counter (load ${fixed(size.keyPerCounter.seconds, 1)} s)`,
        target: '',
        ok: undefined,
      },
      hashes('countd hashes, default', size.defaultLayout),
      hashes('countd hashes, `ring layout --buckets fit`', size.fittedLayout),
    );
  }
  return rows;
}

export function costRows(c: CostInputs, f: Readonly<Figures>): CostRow[] {
  const num = (key: string): number => (typeof f[key] === 'number' ? (f[key] as number) : NaN);
  const rows: CostRow[] = [];
  if (c.s1.length > 0) {
    const s1 = medianByKind(
      c.s1.map((s) => s.cpuByKind),
      median,
    );
    rows.push({
      what: `CPU per increment, S1, all countd processes (median of ${c.s1.length})`,
      figure:
        `${fixed(s1.total, 2)} µs (${kinds(s1)}; runs ` +
        `${c.s1.map((s) => fixed(s.cpuByKind.total, 2)).join(', ')})`,
      target: `<= ${COST_GOALS.cpuUsPerIncrement} µs`,
      ok: s1.total <= COST_GOALS.cpuUsPerIncrement,
    });
  }
  if (c.direct.length > 0) {
    const d = medianByKind(c.direct.map(baselineCpu), median);
    rows.push({
      what: `  B1 CPU per increment (median of ${c.direct.length}) ÷ S1's`,
      figure: `${fixed(d.total, 2)} µs (${kinds(d)}): x${fixed(num('ratio_cpu_vs_direct'), 2)}`,
      target: `>= x${COST_GOALS.cpuCheaperThanDirect}`,
      ok: num('ratio_cpu_vs_direct') >= COST_GOALS.cpuCheaperThanDirect,
    });
  }
  const b3 = (runs: readonly InProcessBaselineResult[], writer: string, key: string): void => {
    if (runs.length === 0) return;
    const b = medianByKind(runs.map(baselineCpu), median);
    const exact = runs.every((r) => r.verify?.exact === true);
    const first = runs[0]!;
    rows.push({
      what: `B3 in-process Map + pipelined HINCRBY, ${writer} (${first.clients} proc, median of ${runs.length})`,
      figure:
        `${int(median(runs.map((r) => r.incrementsPerSecond)))} incr/s (runs ` +
        `${runs.map((r) => int(r.incrementsPerSecond)).join(', ')}), ${fixed(b.total, 2)} CPU-µs/incr ` +
        `(${kinds(b)}), ${fixed(first.commandsPerIncrement, 3)} HINCRBY/incr, ${first.flushes} flushes, exact ${String(exact)}`,
      target: '',
      ok: exact,
    });
    rows.push({
      what: `  countd CPU per increment ÷ B3 ${writer}`,
      figure: `x${fixed(num(key), 2)}`,
      target: writer === 'ioredis' ? `<= x${COST_GOALS.cpuVsInProcess}` : '',
      ok: writer === 'ioredis' ? num(key) <= COST_GOALS.cpuVsInProcess : undefined,
    });
  };
  b3(c.inProcess, 'ioredis', 'ratio_cpu_vs_inprocess');
  b3(c.inProcessRaw, 'raw RESP', 'ratio_cpu_vs_inprocess_raw');
  if (c.redisBenchmark.length > 0) {
    const first = c.redisBenchmark[0]!;
    rows.push({
      what: `redis-benchmark -P ${first.pipeline} -c ${first.connections} HINCRBY, 1 node (median of ${c.redisBenchmark.length})`,
      figure:
        `${int(num('redis_benchmark_hincrby_per_s'))} HINCRBY/s (runs ` +
        `${c.redisBenchmark.map((r) => int(r.hincrbyPerSecond)).join(', ')}); CPU/HINCRBY node ` +
        `${fixed(num('redis_benchmark_node_cpu_us_per_hincrby'), 2)} µs, client ${fixed(median(c.redisBenchmark.map((r) => r.clientCpuUs)), 2)} µs; ` +
        `${int(first.requests)} req, -r ${int(first.keyspace)}, ~${fixed(first.meanFieldsPerHash, 0)} fields/hash, ` +
        `calls ${first.calls === first.requests ? 'all counted' : `${int(first.calls)} counted`}`,
      target: '',
      ok: undefined,
    });
    rows.push({
      what: '  S1 ÷ redis-benchmark',
      figure: `x${fixed(num('ratio_vs_redis_benchmark'), 2)}`,
      target: `>= x${COST_GOALS.vsRedisBenchmark}`,
      ok: num('ratio_vs_redis_benchmark') >= COST_GOALS.vsRedisBenchmark,
    });
  }
  if (c.rssBacklog !== undefined) {
    const r = c.rssBacklog;
    rows.push({
      what: `worker RSS under a backlog, ${r.workers} worker, default settings`,
      figure:
        `${int(r.peakWorkerRssMb)} MB peak (${int(r.total)} incr queued first, drained at ` +
        `${int(r.incrementsPerSecond)} incr/s, exact ${String(r.verify?.exact)})`,
      target: `<= ${COST_GOALS.workerRssMb} MB`,
      ok: r.peakWorkerRssMb <= COST_GOALS.workerRssMb && r.verify?.exact === true,
    });
  }
  if (c.storage !== undefined) rows.push(...storageRows(c.storage));
  return rows;
}
