import { baselineCpu, costRows, type CostInputs } from './cost-report.js';
import type { BaselineResult } from './scenario-baselines.js';
import type { EndToEndResult } from './scenario-end-to-end.js';
import type { FlushPathRun } from './scenario-flush-path.js';
import type { MemoryResult } from './scenario-memory.js';
import type { WorkerRssResult } from './scenario-worker-rss.js';
import type { RingBenchResult } from './ring-bench.js';
import type { GatewayBenchResult } from './scenario-gateway.js';
import { gatewayCpuLines, gatewayRows } from './scenario-gateway-report.js';
import { minReplicasRows, type MinReplicasResult } from './scenario-min-replicas.js';
import { ringChangeRows, type RingChangeResult } from './scenario-ring-change.js';
import { rollupsRows, type RollupsResult } from './scenario-rollups.js';

/** Everything one bench run measured; `figures` holds the flat fields the issue asks for. */
export interface BenchReport {
  readonly date: string;
  readonly machine: Readonly<Record<string, string | number>>;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly figures: Readonly<Record<string, number | boolean | null>>;
  readonly s1: readonly EndToEndResult[];
  readonly s1Uniform: EndToEndResult | undefined;
  readonly s1Groups: EndToEndResult | undefined;
  readonly s1Drain: EndToEndResult | undefined;
  readonly halfRate: EndToEndResult | undefined;
  readonly direct: BaselineResult | undefined;
  readonly jobPerIncrement: BaselineResult | undefined;
  readonly memory: MemoryResult | undefined;
  readonly flushPath: readonly FlushPathRun[];
  readonly workerRss: WorkerRssResult | undefined;
  readonly ring: RingBenchResult | undefined;
  readonly gateway?: GatewayBenchResult | undefined;
  readonly minReplicas?: MinReplicasResult | undefined;
  readonly ringChange?: RingChangeResult | undefined;
  readonly rollups?: RollupsResult | undefined;
  /** Issue 13's cost figures: CPU per kind, B3, redis-benchmark, RSS backlog, storage. */
  readonly cost?: CostInputs | undefined;
  readonly seconds: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const int = (v: number): string =>
  Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '-';
const fixed = (v: number, digits: number): string => (Number.isFinite(v) ? v.toFixed(digits) : '-');

interface Row {
  readonly what: string;
  readonly figure: string;
  readonly target: string;
  readonly ok: boolean | undefined;
}

/** A figure shown for information: no target, no verdict. */
const shown = (what: string, figure: string): Row => ({ what, figure, target: '', ok: undefined });

/** A figure with no target whose verdict is the run's read-back: exact or not. */
const exactRow = (what: string, figure: string, verify: { exact: boolean } | undefined): Row => ({
  what,
  figure: `${figure}, exact ${String(verify?.exact)}`,
  target: '',
  ok: verify?.exact,
});

/** The table printed at the end of a run. */
export function formatReport(r: BenchReport): string {
  const f = r.figures;
  const num = (key: string): number => (typeof f[key] === 'number' ? (f[key] as number) : NaN);
  const rows: Row[] = [];
  const interval = Number(r.settings.flushIntervalMs);
  if (r.s1.length > 0) {
    const runs = r.s1.map((s) => int(s.incrementsPerSecond)).join(', ');
    rows.push({
      what: `S1 countd end to end, Zipf ${r.s1[0]!.zipf}`,
      figure: `${int(num('increments_per_s'))} incr/s (median of ${r.s1.length}: ${runs})`,
      target: '>= 1,000,000',
      ok: num('increments_per_s') >= 1_000_000 && f.exact === true,
    });
    rows.push({
      what: '  totals exact (every counter read back)',
      figure: String(f.exact),
      target: 'true',
      ok: f.exact === true,
    });
    rows.push(
      shown('  storage commands per increment', fixed(num('storage_commands_per_increment'), 3)),
    );
    rows.push(
      shown(
        '  lag p50 / p99 (histogram; probes run 1)',
        `${int(num('lag_p50_ms'))} / ${int(num('lag_p99_ms'))} ms; ` +
          `${int(r.s1[0]!.probe.p50Ms)} / ${int(r.s1[0]!.probe.p99Ms)} ms`,
      ),
    );
    const scripts = r.s1[0]!.scripts;
    rows.push(
      shown(
        '  apply scripts >= 1 ms on a node',
        `${scripts.count}, median ${fixed(scripts.p50Ms, 1)} ms, max ${fixed(scripts.maxMs, 1)} ms (run 1)`,
      ),
    );
    rows.push(shown('  peak worker RSS', `${int(num('worker_rss_mb'))} MB`));
  }
  if (r.s1Uniform !== undefined) {
    const u = r.s1Uniform;
    rows.push(
      exactRow(
        'S1 countd end to end, uniform',
        `${int(u.incrementsPerSecond)} incr/s, ${fixed(u.storageCommandsPerIncrement, 3)} cmd/incr, ` +
          `lag p99 ${int(u.lagP99Ms)} ms`,
        u.verify,
      ),
    );
  }
  if (r.s1Groups !== undefined) {
    const g = r.s1Groups;
    rows.push(
      exactRow(
        'S1, Zipf, flush groups of 20000 (maxScriptCounters)',
        `${int(g.incrementsPerSecond)} incr/s, ${fixed(g.storageCommandsPerIncrement, 3)} cmd/incr, ` +
          `scripts median ${fixed(g.scripts.p50Ms, 1)} ms, max ${fixed(g.scripts.maxMs, 1)} ms`,
        g.verify,
      ),
    );
  }
  if (r.s1Drain !== undefined) {
    const d = r.s1Drain;
    rows.push(
      exactRow(
        'S1 consumer side alone (queue filled first)',
        `${int(d.incrementsPerSecond)} incr/s, ${fixed(d.cpuUsPerIncrement, 2)} CPU-µs/incr ` +
          `(workers, queue, nodes)`,
        d.verify,
      ),
    );
  }
  if (r.direct !== undefined) {
    rows.push(
      shown(
        `B1 per-event HINCRBY, auto-pipelined (${r.direct.clients} proc)`,
        `${int(r.direct.incrementsPerSecond)} incr/s (${int(r.direct.increments)} incr)`,
      ),
    );
    rows.push({
      what: '  S1 / B1',
      figure: `x${fixed(num('ratio_vs_direct'), 2)}`,
      target: '>= x7',
      ok: num('ratio_vs_direct') >= 7,
    });
  }
  if (r.jobPerIncrement !== undefined) {
    rows.push(
      shown(
        'B2 one BullMQ job per increment',
        `${int(r.jobPerIncrement.incrementsPerSecond)} incr/s (${int(r.jobPerIncrement.increments)} incr)`,
      ),
    );
  }
  if (r.halfRate !== undefined) {
    const h = r.halfRate;
    const within = h.lagBuckets.find(([le]) => le >= (interval + 250) / 1000 || le === -1);
    rows.push({
      what: `S1 at half rate (${int(h.rate)} incr/s asked)`,
      figure:
        `lag p50 ${int(h.lagP50Ms)} ms, p99 ${int(h.lagP99Ms)} ms (histogram); ` +
        `probes p50 ${int(h.probe.p50Ms)} ms, p99 ${int(h.probe.p99Ms)} ms, max ${int(h.probe.maxMs)} ms ` +
        `(${int(h.incrementsPerSecond)} incr/s)`,
      target: `p99 <= ${int(interval + 250)} ms`,
      ok: h.probe.p99Ms <= interval + 250 && h.verify?.exact === true,
    });
    if (within !== undefined) {
      const total = h.lagBuckets[h.lagBuckets.length - 1]?.[1] ?? 0;
      const atOrBelow = h.lagBuckets.filter(([le]) => le !== -1 && le <= 1).pop()?.[1] ?? 0;
      rows.push(
        shown(
          '  histogram: jobs with lag <= 1 s',
          `${fixed((atOrBelow / Math.max(1, total)) * 100, 1)}% of ${int(total)}`,
        ),
      );
    }
  }
  for (const run of r.flushPath) {
    const headline = run.groupSize === 5000 && run.publish && run.watched;
    const publish = !run.publish ? 'off' : run.watched ? 'on, watched' : 'on, nobody watching';
    rows.push({
      what: `flush path, groups of ${run.groupSize}, publish ${publish}`,
      figure:
        `${int(run.hincrbyPerSecond)} HINCRBY/s (CPU/HINCRBY: writer ${fixed(run.writerCpuUs, 2)} µs, ` +
        `redis ${fixed(run.redisCpuUs, 2)} µs; apply p50 ${fixed(run.applyP50Ms, 1)} ms, max ${fixed(run.applyMaxMs, 1)} ms)`,
      target: headline ? '>= 400,000' : '',
      ok: headline ? run.hincrbyPerSecond >= 400_000 : undefined,
    });
  }
  if (r.memory !== undefined) {
    const m = r.memory;
    const enc = Object.entries(m.encodings)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    rows.push(
      shown(
        `storage, countd hashes (${m.buckets} buckets/node)`,
        `${fixed(m.bytesPerCounter, 1)} B/counter (${fixed(m.meanFieldsPerHash, 0)} fields/hash; ${enc})`,
      ),
    );
    rows.push(
      shown(
        'storage, one key per counter',
        `${fixed(m.bytesPerCounterKeyPerCounter, 1)} B/counter`,
      ),
    );
    rows.push({
      what: '  countd / key-per-counter',
      figure: fixed(m.ratio, 3),
      target: '<= 0.333',
      ok: m.ratio <= 1 / 3,
    });
  }
  if (r.workerRss !== undefined) {
    const w = r.workerRss;
    rows.push({
      what: `worker RSS, ${int(w.counters)} distinct counters buffered`,
      figure:
        `${int(w.bufferedRssMb)} MB (heap ${int(w.heapUsedMb)}/${int(w.heapTotalMb)} MB; idle ${int(w.idleRssMb)} MB; ${int(w.heldJobs)} jobs held; ` +
        `drain ${fixed(w.drainSeconds, 1)} s; exact ${String(w.verify.exact)})`,
      target: '<= 300 MB',
      ok: w.bufferedRssMb <= 300 && w.verify.exact,
    });
  }
  if (r.ring !== undefined) {
    const l = r.ring.lookupsPerSecond;
    rows.push(
      shown(
        'ring lookups (10 nodes, quick)',
        `Zipf memoized ${fixed(l.zipfMemoized / 1e6, 2)} M/s, uncached ${fixed(l.uncached / 1e6, 2)} M/s, ` +
          `cold ${fixed(l.cold / 1e6, 2)} M/s`,
      ),
    );
  }
  if (r.gateway !== undefined) rows.push(...gatewayRows(r.gateway));
  if (r.minReplicas !== undefined) rows.push(...minReplicasRows(r.minReplicas));
  if (r.ringChange !== undefined) rows.push(...ringChangeRows(r.ringChange));
  if (r.rollups !== undefined) rows.push(...rollupsRows(r.rollups));
  if (r.cost !== undefined) rows.push(...costRows(r.cost, f));
  const w1 = Math.max(...rows.map((x) => x.what.length));
  const w2 = Math.max(...rows.map((x) => x.figure.length));
  const w3 = Math.max(6, ...rows.map((x) => x.target.length));
  const lines = [
    `countd bench ${r.date} — ${Object.entries(r.machine)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `settings: ${Object.entries(r.settings)
      .map(([k, v]) => `${k} ${String(v)}`)
      .join(', ')}`,
    '',
    `${'scenario'.padEnd(w1)}  ${'figure'.padEnd(w2)}  ${'target'.padEnd(w3)}  ok`,
    `${'-'.repeat(w1)}  ${'-'.repeat(w2)}  ${'-'.repeat(w3)}  ---`,
    ...rows.map(
      (x) =>
        `${x.what.padEnd(w1)}  ${x.figure.padEnd(w2)}  ${x.target.padEnd(w3)}  ${
          x.ok === undefined ? '' : x.ok ? 'yes' : 'NO'
        }`,
    ),
  ];
  const cpuRuns = [
    ...r.s1,
    r.s1Groups,
    r.s1Drain,
    r.s1Uniform,
    r.halfRate,
    ...(r.minReplicas?.without ?? []),
    ...(r.minReplicas?.with ?? []),
    ...(r.rollups?.without ?? []),
    ...(r.rollups?.with ?? []),
  ].filter((x): x is EndToEndResult => x !== undefined);
  if (cpuRuns.length > 0) {
    lines.push('', 'CPU per process during S1 runs (cores; machine = every process on the box):');
    for (const run of cpuRuns) {
      const parts = Object.entries(run.cpuCores).map(([k, v]) => `${k} ${fixed(v, 2)}`);
      lines.push(
        `  ${run.label.padEnd(12)} ${fixed(run.seconds, 1).padStart(5)} s  ${parts.join(', ')}; ` +
          `${fixed(run.cpuUsPerIncrement, 2)} CPU-µs/incr; machine ${fixed(run.machineCores, 2)}`,
      );
    }
  }
  const baselines = [
    ...(r.cost?.direct ?? [r.direct]),
    ...(r.cost?.inProcess ?? []),
    ...(r.cost?.inProcessRaw ?? []),
    r.jobPerIncrement,
    r.cost?.rssBacklog,
  ];
  for (const base of baselines) {
    if (base === undefined) continue;
    const parts = Object.entries(base.cpuCores).map(([k, v]) => `${k} ${fixed(v, 2)}`);
    const us = 'cpuByKind' in base ? base.cpuByKind.total : baselineCpu(base).total;
    lines.push(
      `  ${base.label.padEnd(12)} ${fixed(base.seconds, 1).padStart(5)} s  ${parts.join(', ')}; ` +
        `${fixed(us, 2)} CPU-µs/incr; machine ${fixed(base.machineCores, 2)}`,
    );
  }
  if (r.gateway !== undefined)
    lines.push('', 'CPU per process during gateway runs (cores):', ...gatewayCpuLines(r.gateway));
  lines.push('', `(${fixed(r.seconds, 0)} s)`);
  return `${lines.join('\n')}\n`;
}
