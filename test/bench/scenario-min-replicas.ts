/**
 * `--only s1-replicas`: S1 on the bench stack with one replica per Redis (queue and each storage
 * node), once with COUNTD_MIN_REPLICAS=0 and once with 1 (workers by env, producers by option),
 * alternating when repeated, so both settings see the same machine.
 */
import {
  count,
  exactAll,
  medianOf,
  type Row,
  type S1Runner,
  type SideBySide,
} from './scenario-rows.js';
import type { BenchStack } from './bench-stack.js';
import { startReplicas } from './replica-stack.js';
import type { EndToEndResult } from './scenario-end-to-end.js';

/** Runs with COUNTD_MIN_REPLICAS=0 (`without`), then with 1 (`with`). */
export type MinReplicasResult = SideBySide;

export async function runMinReplicas(
  stack: BenchStack,
  dir: string,
  appendonly: boolean,
  repeat: number,
  run: S1Runner,
  progress: (message: string) => void,
): Promise<MinReplicasResult> {
  const replicas = await startReplicas(stack, dir, appendonly);
  progress(`replicas up: ${[...replicas.pids.keys()].join(', ')}`);
  const without: EndToEndResult[] = [];
  const withReplicas: EndToEndResult[] = [];
  try {
    for (let i = 1; i <= repeat; i++) {
      for (const min of [0, 1]) {
        progress(`S1 with replicas, COUNTD_MIN_REPLICAS=${min}, run ${i}/${repeat}`);
        const result = await run(
          `s1-replicas-${min}-${i}`,
          { COUNTD_MIN_REPLICAS: String(min) },
          { producerMinReplicas: min, meteredPids: replicas.pids },
        );
        progress(
          `  ${Math.round(result.incrementsPerSecond)} incr/s, lag p99 ` +
            `${Math.round(result.lagP99Ms)} ms, exact ${String(result.verify?.exact)}`,
        );
        (min === 0 ? without : withReplicas).push(result);
      }
    }
  } finally {
    await replicas.stop();
  }
  return { without, with: withReplicas };
}

/** The `--json` figures of the scenario (null when it did not run). */
export function minReplicasFigures(
  m: MinReplicasResult | undefined,
): Record<string, number | boolean | null> {
  const of = medianOf;
  const rate0 = of(m?.without, (r) => r.incrementsPerSecond);
  const rate1 = of(m?.with, (r) => r.incrementsPerSecond);
  return {
    s1_min_replicas_0_increments_per_s: rate0,
    s1_min_replicas_1_increments_per_s: rate1,
    s1_min_replicas_ratio: rate0 !== null && rate1 !== null ? rate1 / rate0 : null,
    s1_min_replicas_0_lag_p99_ms: of(m?.without, (r) => r.lagP99Ms),
    s1_min_replicas_1_lag_p99_ms: of(m?.with, (r) => r.lagP99Ms),
    s1_min_replicas_0_lag_probe_p99_ms: of(m?.without, (r) => r.probe.p99Ms),
    s1_min_replicas_1_lag_probe_p99_ms: of(m?.with, (r) => r.probe.p99Ms),
    s1_min_replicas_0_cpu_us_per_increment: of(m?.without, (r) => r.cpuUsPerIncrement),
    s1_min_replicas_1_cpu_us_per_increment: of(m?.with, (r) => r.cpuUsPerIncrement),
    s1_min_replicas_exact: m === undefined ? null : exactAll(m.without) && exactAll(m.with),
  };
}

/** The scenario's rows of the printed table. */
export function minReplicasRows(m: MinReplicasResult): Row[] {
  const f = minReplicasFigures(m);
  const side = (min: 0 | 1, runs: readonly EndToEndResult[]): Row[] => {
    const key = `s1_min_replicas_${min}`;
    const cpu = f[`${key}_cpu_us_per_increment`];
    const flushErrors = runs.reduce((s, r) => s + r.flushErrors, 0);
    return [
      {
        what: `S1, 1 replica per Redis, COUNTD_MIN_REPLICAS=${min}`,
        figure:
          `${count(f[`${key}_increments_per_s`])} incr/s (median of ${runs.length}: ` +
          `${runs.map((r) => count(r.incrementsPerSecond)).join(', ')})`,
        target: '',
        ok: undefined,
      },
      {
        what: '  lag p99 histogram / probes; CPU-µs/incr (replicas incl.)',
        figure:
          `${count(f[`${key}_lag_p99_ms`])} / ${count(f[`${key}_lag_probe_p99_ms`])} ms; ` +
          `${typeof cpu === 'number' ? cpu.toFixed(2) : '-'}`,
        target: '',
        ok: undefined,
      },
      {
        what: '  totals exact; flush errors (retried)',
        figure: `${String(exactAll(runs))}; ${flushErrors}`,
        target: 'true',
        ok: exactAll(runs),
      },
    ];
  };
  const ratio = f.s1_min_replicas_ratio;
  return [
    ...side(0, m.without),
    ...side(1, m.with),
    {
      what: '  COUNTD_MIN_REPLICAS 1 / 0, incr/s',
      figure: typeof ratio === 'number' ? `x${ratio.toFixed(3)}` : '-',
      target: '',
      ok: undefined,
    },
  ];
}
