import { applyAccess } from '../support/apply-access.js';
import { Redis } from 'ioredis';
import { PAYLOAD_VERSION } from '../../src/jobs/index.js';
import { FlushGroup } from '../../src/worker/flush-group.js';
import { HeldJob } from '../../src/worker/held-job.js';
import { NodeWriter } from '../../src/worker/node-writer.js';
import { NODE_IDS, type BenchStack } from './bench-stack.js';
import { CpuMeter } from './proc-stats.js';
import { counterName } from './workload.js';

export interface FlushPathRun {
  readonly groupSize: number;
  readonly publish: boolean;
  /** A subscriber listened on every node's channel (the script publishes only then). */
  readonly watched: boolean;
  readonly counters: number;
  readonly seconds: number;
  readonly hincrbyPerSecond: number;
  /** CPU per HINCRBY: the writer's process (build and encode), the three nodes (the script). */
  readonly writerCpuUs: number;
  readonly redisCpuUs: number;
  /** Round trip of one apply (≈ how long the script blocks its node): median and max, ms. */
  readonly applyP50Ms: number;
  readonly applyMaxMs: number;
  readonly cpuCores: Readonly<Record<string, number>>;
}

const PREFIX = 'countd';
const BUCKETS = 4096;

/**
 * The flush path alone: `counters` distinct counters already aggregated into flush groups of
 * `groupSize` (one held job each), applied by {@link NodeWriter.apply} on the three nodes, one
 * group at a time per node and the nodes in parallel, as the worker's flusher does.
 */
export async function runFlushPath(
  stack: BenchStack,
  counters: number,
  groupSize: number,
  publish: boolean,
  watched = publish,
): Promise<FlushPathRun> {
  await stack.reset();
  const layout = stack.layout(PREFIX, BUCKETS);
  const settings = {
    markerTtlSeconds: 86_400,
    markerGraceSeconds: 300,
    channel: publish ? layout.keys.updatesChannel() : undefined,
    publishChunk: 500,
  };
  const clients = stack.nodes.map((n) => new Redis({ host: '127.0.0.1', port: n.port }));
  // A watcher on each node: the apply script publishes only to a channel someone listens on.
  const subscribers = watched
    ? stack.nodes.map((n) => new Redis({ host: '127.0.0.1', port: n.port }))
    : [];
  try {
    await Promise.all(subscribers.map((s) => s.subscribe(layout.keys.updatesChannel())));
    const writers = clients.map((c, i) => new NodeWriter(NODE_IDS[i]!, c, layout, settings));
    const access = await Promise.all(clients.map((c) => applyAccess(c, layout)));
    const nodeIndex = new Map<string, number>(NODE_IDS.map((id, i) => [id, i]));
    const payload = { v: PAYLOAD_VERSION, t: Date.now(), c: [] } as const;
    let jobSeq = 0;
    const newGroup = (): FlushGroup => {
      const group = new FlushGroup();
      group.jobs.push(new HeldJob(`flush-bench-${++jobSeq}`, payload, 0));
      return group;
    };
    // Loads the script on each connection outside the timing.
    for (const writer of writers) {
      const warm = newGroup();
      warm.add('bench:warmup', 1);
      await writer.apply(warm, [], access[writers.indexOf(writer)]!);
    }
    const groups: FlushGroup[][] = writers.map(() => [newGroup()]);
    for (let i = 0; i < counters; i++) {
      const name = counterName(i);
      const list = groups[nodeIndex.get(layout.ring.locate(name))!]!;
      let group = list[list.length - 1]!;
      if (group.size >= groupSize) list.push((group = newGroup()));
      group.add(name, 1 + (i % 7));
    }
    const cpu = new CpuMeter(
      new Map<string, number>([
        ['bench', process.pid],
        ...stack.nodes.map((s): [string, number] => [`redis-${s.name}`, s.pid]),
      ]),
    );
    const applyMs: number[] = [];
    cpu.begin();
    const started = performance.now();
    await Promise.all(
      writers.map(async (writer, n) => {
        for (const group of groups[n]!) {
          const t0 = performance.now();
          const outcome = await writer.apply(group, [], access[n]!);
          applyMs.push(performance.now() - t0);
          if (outcome.kind !== 'applied' || outcome.refused.length > 0)
            throw new Error(`flush path: unexpected outcome ${JSON.stringify(outcome)}`);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const usage = cpu.end();
    const applied = (await stack.storageCalls('hincrby')) - writers.length;
    if (applied !== counters)
      throw new Error(`flush path: ${applied} HINCRBY, expected ${counters}`);
    return {
      groupSize,
      publish,
      watched,
      counters,
      seconds,
      hincrbyPerSecond: counters / seconds,
      applyP50Ms: applyMs.sort((a, b) => a - b)[applyMs.length >> 1] ?? 0,
      applyMaxMs: applyMs[applyMs.length - 1] ?? 0,
      writerCpuUs: ((usage.cores.bench ?? 0) * seconds * 1e6) / counters,
      redisCpuUs:
        (Object.entries(usage.cores)
          .filter(([label]) => label.startsWith('redis-'))
          .reduce((sum, [, cores]) => sum + cores, 0) *
          seconds *
          1e6) /
        counters,
      cpuCores: usage.cores,
    };
  } finally {
    for (const c of [...clients, ...subscribers]) c.disconnect();
  }
}
