/**
 * `--only s1-rollups`: S1 without time buckets and S1 with
 * `COUNTD_ROLLUPS=minute:48h,hour:35d,day:400d`, alternating when repeated, so both see the same
 * machine; after each run with rollups, what its bucket hashes cost in memory.
 */
import { median } from './bench-report.js';
import {
  count,
  exactAll,
  medianOf,
  type Row,
  type S1Runner,
  type SideBySide,
} from './scenario-rows.js';
import type { BenchStack } from './bench-stack.js';
import type { EndToEndResult } from './scenario-end-to-end.js';

export const BENCH_ROLLUPS = 'minute:48h,hour:35d,day:400d';

/** Memory of the time-bucket hashes one run left on the storage nodes. */
export interface BucketMemory {
  readonly hashes: number;
  /** Fields over every bucket hash: one per (counter, bucket). */
  readonly fields: number;
  /** MEMORY USAGE summed over the bucket hashes. */
  readonly bytes: number;
  readonly bytesPerCounterBucket: number;
}

export interface RollupsResult extends SideBySide {
  readonly memory: readonly BucketMemory[];
}

export async function runRollups(
  stack: BenchStack,
  repeat: number,
  run: S1Runner,
  progress: (message: string) => void,
): Promise<RollupsResult> {
  const without: EndToEndResult[] = [];
  const withRollups: EndToEndResult[] = [];
  const memory: BucketMemory[] = [];
  for (let i = 1; i <= repeat; i++) {
    for (const rollups of [false, true]) {
      progress(
        `S1 ${rollups ? `with COUNTD_ROLLUPS=${BENCH_ROLLUPS}` : 'without rollups'}, run ${i}/${repeat}`,
      );
      const result = await run(
        `s1-rollups-${rollups ? 'on' : 'off'}-${i}`,
        rollups ? { COUNTD_ROLLUPS: BENCH_ROLLUPS } : {},
      );
      progress(
        `  ${Math.round(result.incrementsPerSecond)} incr/s, ` +
          `${result.storageCommandsPerIncrement.toFixed(3)} cmd/incr, exact ${String(result.verify?.exact)}`,
      );
      if (rollups) {
        withRollups.push(result);
        // Read before the next run empties the nodes.
        memory.push(await bucketMemory(stack));
      } else {
        without.push(result);
      }
    }
  }
  return { without, with: withRollups, memory };
}

/** Scans every storage node for bucket hashes (`<prefix>:s:…`) and sums their memory. */
async function bucketMemory(stack: BenchStack): Promise<BucketMemory> {
  let hashes = 0;
  let fields = 0;
  let bytes = 0;
  for (const node of stack.nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.client.scan(cursor, 'MATCH', '*:s:*', 'COUNT', 1000);
      cursor = next;
      if (keys.length === 0) continue;
      const pipeline = node.client.pipeline();
      for (const key of keys) pipeline.hlen(key).memory('USAGE', key, 'SAMPLES', '0');
      const replies = (await pipeline.exec()) ?? [];
      for (let i = 0; i < keys.length; i++) {
        fields += Number(replies[2 * i]![1]);
        bytes += Number(replies[2 * i + 1]![1] ?? 0);
      }
      hashes += keys.length;
    } while (cursor !== '0');
  }
  return { hashes, fields, bytes, bytesPerCounterBucket: fields > 0 ? bytes / fields : NaN };
}

/** The `--json` figures of the scenario (null when it did not run). */
export function rollupsFigures(
  r: RollupsResult | undefined,
): Record<string, number | boolean | null> {
  const of = medianOf;
  const rateOff = of(r?.without, (x) => x.incrementsPerSecond);
  const rateOn = of(r?.with, (x) => x.incrementsPerSecond);
  const cpuOff = of(r?.without, (x) => x.cpuUsPerIncrement);
  const cpuOn = of(r?.with, (x) => x.cpuUsPerIncrement);
  const memory = r?.memory ?? [];
  return {
    s1_rollups_off_increments_per_s: rateOff,
    s1_rollups_on_increments_per_s: rateOn,
    s1_rollups_ratio: rateOff !== null && rateOn !== null ? rateOn / rateOff : null,
    s1_rollups_off_storage_commands_per_increment: of(
      r?.without,
      (x) => x.storageCommandsPerIncrement,
    ),
    s1_rollups_on_storage_commands_per_increment: of(r?.with, (x) => x.storageCommandsPerIncrement),
    s1_rollups_off_cpu_us_per_increment: cpuOff,
    s1_rollups_on_cpu_us_per_increment: cpuOn,
    s1_rollups_on_lag_p99_ms: of(r?.with, (x) => x.lagP99Ms),
    s1_rollups_off_lag_p99_ms: of(r?.without, (x) => x.lagP99Ms),
    s1_rollups_bytes_per_counter_bucket:
      memory.length === 0 ? null : median(memory.map((m) => m.bytesPerCounterBucket)),
    s1_rollups_bucket_fields: memory.length === 0 ? null : median(memory.map((m) => m.fields)),
    s1_rollups_exact: r === undefined ? null : exactAll(r.without) && exactAll(r.with),
  };
}

const fixed = (v: unknown, digits: number): string =>
  typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '-';

/** The scenario's rows of the printed table. */
export function rollupsRows(r: RollupsResult): Row[] {
  const f = rollupsFigures(r);
  const side = (on: boolean, runs: readonly EndToEndResult[]): Row => {
    const key = `s1_rollups_${on ? 'on' : 'off'}`;
    return {
      what: on ? `S1 with COUNTD_ROLLUPS=${BENCH_ROLLUPS}` : 'S1 without rollups (same run)',
      figure:
        `${count(f[`${key}_increments_per_s`])} incr/s (median of ${runs.length}: ` +
        `${runs.map((x) => count(x.incrementsPerSecond)).join(', ')}), ` +
        `${fixed(f[`${key}_storage_commands_per_increment`], 3)} cmd/incr, ` +
        `${fixed(f[`${key}_cpu_us_per_increment`], 2)} CPU-µs/incr, lag p99 ${count(f[`${key}_lag_p99_ms`])} ms`,
      target: '',
      ok: undefined,
    };
  };
  const last = r.memory.at(-1);
  return [
    side(false, r.without),
    side(true, r.with),
    {
      what: '  with / without: incr/s; CPU-µs per increment',
      figure:
        `x${fixed(f.s1_rollups_ratio, 3)}; ` +
        (typeof f.s1_rollups_on_cpu_us_per_increment === 'number' &&
        typeof f.s1_rollups_off_cpu_us_per_increment === 'number'
          ? `x${(f.s1_rollups_on_cpu_us_per_increment / f.s1_rollups_off_cpu_us_per_increment).toFixed(3)}`
          : '-'),
      target: '',
      ok: undefined,
    },
    {
      what: '  bucket hashes after a run with rollups',
      figure:
        last === undefined
          ? '-'
          : `${count(last.fields)} counter-buckets in ${count(last.hashes)} hashes, ` +
            `${fixed(f.s1_rollups_bytes_per_counter_bucket, 1)} bytes per counter-bucket (median)`,
      target: '',
      ok: undefined,
    },
    {
      what: '  totals exact, both',
      figure: String(f.s1_rollups_exact),
      target: 'true',
      ok: f.s1_rollups_exact === true,
    },
  ];
}
