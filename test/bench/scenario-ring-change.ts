/**
 * `--only ring-change`: a live ring change at scale. The bench stack's 3 nodes hold `counters`
 * counters (placed by the version-1 ring, as workers leave them); a runner process adds a 4th
 * node with the library's RingChangeRunner. Measured per run: the planning scan (`--dry-run`),
 * counters moved per second over the moving phase, and CPU-µs per moved counter summed over
 * the runner and the 4 nodes. Every counter is read back at its new place afterwards.
 */
import { randomBytes } from 'node:crypto';
import { layoutOf, ringRecord, type RingRecord } from '../../src/ring-change/index.js';
import { CountdKeys } from '../../src/keys/index.js';
import { BenchChild } from './bench-child.js';
import { median } from './bench-report.js';
import { NODE_IDS, startFreshServers, type BenchServer, type BenchStack } from './bench-stack.js';
import type { RingChangeChildConfig, RingChangeChildResult } from './ring-change-process.js';
import { counterName } from './workload.js';

const PREFIX = 'countd';
const ADDED = 'd';
/** Fields per HSET when seeding. */
const SEED_FIELDS = 1000;

export interface RingChangeRun extends RingChangeChildResult {
  readonly cpuUsPerMoved: number;
  readonly movedPerSecond: number;
  readonly exact: boolean;
}

export interface RingChangeResult {
  readonly counters: number;
  readonly buckets: number;
  readonly runs: readonly RingChangeRun[];
}

/** A counter's seeded value: spread over 1..100000, deterministic. */
function valueOf(index: number): number {
  return 1 + ((Math.imul(index, 0x9e3779b1) >>> 0) % 100_000);
}

export async function runRingChange(
  stack: BenchStack,
  dir: string,
  counters: number,
  buckets: number,
  repeat: number,
  profileDir: string | undefined,
  progress: (message: string) => void,
): Promise<RingChangeResult> {
  const fresh = await startFreshServers(dir, 'ring-change-d', 1);
  const d = fresh.servers[0]!;
  const runs: RingChangeRun[] = [];
  try {
    for (let i = 1; i <= repeat; i++) {
      await stack.reset();
      await d.client.flushall();
      const queueName = `bench-rc-${i}`;
      progress(`ring change run ${i}/${repeat}: seeding ${counters} counters on 3 nodes`);
      const ring = await seed(stack, queueName, counters, buckets);
      const nodes: Record<string, BenchServer> = { [ADDED]: d };
      NODE_IDS.forEach((id, n) => (nodes[id] = stack.nodes[n]!));
      const execArgv =
        profileDir === undefined
          ? []
          : [
              '--cpu-prof',
              '--cpu-prof-dir',
              profileDir,
              '--cpu-prof-name',
              `ring-change-${i}.cpuprofile`,
            ];
      const child = await BenchChild.start<RingChangeChildConfig, RingChangeChildResult>(
        './ring-change-process.js',
        {
          queuePort: stack.queue.port,
          queueName,
          ports: Object.fromEntries(Object.entries(nodes).map(([id, s]) => [id, s.port])),
          nodePids: Object.values(nodes).map((s) => s.pid),
          added: { id: ADDED, url: `redis://127.0.0.1:${d.port}` },
          batchSize: undefined,
        },
        execArgv,
      );
      child.go();
      const result = await child.result;
      await child.exited();
      const exact = await verify(nodes, ring, counters);
      const run: RingChangeRun = {
        ...result,
        movedPerSecond: result.moved / result.movingSeconds,
        cpuUsPerMoved: ((result.runnerCpuSeconds + result.nodesCpuSeconds) * 1e6) / result.moved,
        exact,
      };
      progress(
        `  moved ${run.moved} in ${run.movingSeconds.toFixed(2)} s: ` +
          `${Math.round(run.movedPerSecond)} moved/s; plan scan ${run.planSeconds.toFixed(2)} s; ` +
          `${run.cpuUsPerMoved.toFixed(1)} CPU-µs per moved counter; exact ${String(exact)}`,
      );
      runs.push(run);
    }
  } finally {
    await fresh.stop();
  }
  return { counters, buckets, runs };
}

/** Registers the version-1 ring and fleet as workers leave them, and writes the counters. */
async function seed(
  stack: BenchStack,
  queueName: string,
  counters: number,
  buckets: number,
): Promise<RingRecord> {
  const keys = new CountdKeys(PREFIX);
  const ring = ringRecord({
    version: 1,
    algorithm: 'ketama',
    buckets,
    prefix: PREFIX,
    nodes: NODE_IDS.map((id, n) => ({ id, weight: 1, url: stack.nodes[n]!.url })),
  });
  const fleet = randomBytes(8).toString('hex');
  const queue = stack.queue.client;
  await queue.set(keys.fleetRing(queueName), JSON.stringify(ring));
  await queue.set(keys.fleetId(queueName), fleet);
  for (const [n, id] of NODE_IDS.entries()) {
    const identity = `${fleet}:${id}:${randomBytes(9).toString('base64url')}`;
    await stack.nodes[n]!.client.set(keys.nodeIdentity(), identity);
    await queue.hset(keys.fleetNodes(queueName), id, identity);
  }
  const layout = layoutOf(ring);
  const hashes = new Map<string, { node: string; key: string; args: string[] }>();
  for (let i = 0; i < counters; i++) {
    const name = counterName(i);
    const at = layout.locate(name);
    const id = `${at.node} ${at.key}`;
    let hash = hashes.get(id);
    if (hash === undefined) hashes.set(id, (hash = { node: at.node, key: at.key, args: [] }));
    hash.args.push(name, String(valueOf(i)));
  }
  await Promise.all(
    NODE_IDS.map(async (id, n) => {
      const pipeline = stack.nodes[n]!.client.pipeline();
      for (const hash of hashes.values()) {
        if (hash.node !== id) continue;
        for (let f = 0; f < hash.args.length; f += 2 * SEED_FIELDS)
          pipeline.hset(hash.key, ...hash.args.slice(f, f + 2 * SEED_FIELDS));
      }
      await pipeline.exec();
    }),
  );
  return ring;
}

/** Every counter once, at its place under the new ring, with its seeded value. */
async function verify(
  nodes: Readonly<Record<string, BenchServer>>,
  from: RingRecord,
  counters: number,
): Promise<boolean> {
  const keys = new CountdKeys(PREFIX);
  // The new ring is the one the runner registered: rebuild it from `from` plus the added node.
  const to = ringRecord({
    version: from.version + 1,
    algorithm: from.algorithm,
    pointsPerWeight: from.pointsPerWeight,
    buckets: from.buckets,
    prefix: from.prefix,
    nodes: [...from.nodes, { id: ADDED, weight: 1, url: nodes[ADDED]!.url }],
  });
  const layout = layoutOf(to);
  const seen = new Map<string, string>();
  let stray = 0;
  for (const [id, server] of Object.entries(nodes)) {
    const pipeline = server.client.pipeline();
    for (let b = 0; b < from.buckets; b++) pipeline.hgetall(keys.bucket(b));
    const replies = (await pipeline.exec()) ?? [];
    for (const [b, [err, value]] of replies.entries()) {
      if (err) throw err;
      for (const [field, v] of Object.entries(value as Record<string, string>)) {
        const at = layout.locate(field);
        if (at.node !== id || at.key !== keys.bucket(b) || seen.has(field)) stray++;
        seen.set(field, v);
      }
    }
    const moved = await server.client.keys(`${PREFIX}:moved@*`);
    stray += moved.length;
  }
  if (stray > 0 || seen.size !== counters) return false;
  for (let i = 0; i < counters; i++)
    if (seen.get(counterName(i)) !== String(valueOf(i))) return false;
  return true;
}

/** The `--json` figures of the scenario (null when it did not run). */
export function ringChangeFigures(
  r: RingChangeResult | undefined,
): Record<string, number | boolean | null> {
  const of = (get: (run: RingChangeRun) => number): number | null =>
    r === undefined || r.runs.length === 0 ? null : median(r.runs.map(get));
  return {
    ring_change_counters_moved_per_s: of((x) => x.movedPerSecond),
    ring_change_counters_moved: of((x) => x.moved),
    ring_change_moving_phase_s: of((x) => x.movingSeconds),
    ring_change_plan_scan_s: of((x) => x.planSeconds),
    ring_change_cpu_us_per_moved_counter: of((x) => x.cpuUsPerMoved),
    ring_change_exact: r === undefined ? null : r.runs.every((x) => x.exact),
  };
}

/** Rows of the printed table. */
export function ringChangeRows(
  r: RingChangeResult,
): Array<{ what: string; figure: string; target: string; ok: boolean | undefined }> {
  const f = ringChangeFigures(r);
  const n = (v: number | boolean | null | undefined): number => (typeof v === 'number' ? v : NaN);
  const int = (v: number): string => Math.round(v).toLocaleString('en-US');
  const runs = r.runs.map((x) => int(x.movedPerSecond)).join(', ');
  return [
    {
      what: `ring change: add a 4th node to 3 holding ${int(r.counters)} counters`,
      figure: `${int(n(f.ring_change_counters_moved_per_s))} counters moved/s (median of ${r.runs.length}: ${runs})`,
      target: '>= 200,000',
      ok: n(f.ring_change_counters_moved_per_s) >= 200_000 && f.ring_change_exact === true,
    },
    {
      what: '  moved, moving phase, planning scan',
      figure:
        `${int(n(f.ring_change_counters_moved))} in ${n(f.ring_change_moving_phase_s).toFixed(2)} s; ` +
        `plan scan ${n(f.ring_change_plan_scan_s).toFixed(2)} s`,
      target: '',
      ok: undefined,
    },
    {
      what: '  CPU per moved counter (runner + 4 nodes)',
      figure: `${n(f.ring_change_cpu_us_per_moved_counter).toFixed(1)} µs; exact ${String(f.ring_change_exact)}`,
      target: 'true',
      ok: f.ring_change_exact === true,
    },
  ];
}
