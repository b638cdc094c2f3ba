import { join } from 'node:path';
import { BenchChild } from './bench-child.js';
import { NODE_IDS, type BenchStack } from './bench-stack.js';
import type { InProcessConfig, InProcessResult } from './inprocess-process.js';
import { CpuMeter } from './proc-stats.js';
import type { BaselineResult } from './scenario-baselines.js';
import { verifyLaneTotals } from './verify.js';
import type { WorkloadSpec } from './workload.js';

/** B3's result: a baseline's figures plus how its flushes went. */
export interface InProcessBaselineResult extends BaselineResult {
  readonly writer: InProcessConfig['writer'];
  readonly flushes: number;
  /** HINCRBY sent per increment (the Map's coalescing, as countd's storage commands). */
  readonly commandsPerIncrement: number;
}

const PREFIX = 'countd';
const BUCKETS = 4096;

/**
 * B3: the same lanes as S1, each summed in a Map in its client process and flushed every
 * `flushIntervalMs` as pipelined HINCRBY to the ring's nodes (same layout), one process per S1
 * producer, written through ioredis pipelines or as raw RESP (`writer`). Timed from the first
 * increment to the last reply of the final flush; CPU of the
 * clients (their own `cpuUsage`) and of the nodes; totals read back.
 */
export async function runInProcess(
  stack: BenchStack,
  dir: string,
  spec: WorkloadSpec,
  o: {
    readonly flushIntervalMs: number;
    readonly writer: InProcessConfig['writer'];
    readonly label: string;
    readonly profileDir?: string | undefined;
  },
): Promise<InProcessBaselineResult> {
  const { label, profileDir } = o;
  await stack.reset();
  const files = Array.from({ length: spec.lanes }, (_, lane) =>
    join(dir, `${label}-expect-${lane}.f64`),
  );
  const clients: Array<BenchChild<InProcessConfig, InProcessResult>> = [];
  try {
    for (let lane = 0; lane < spec.lanes; lane++) {
      clients.push(
        await BenchChild.start<InProcessConfig, InProcessResult>(
          './inprocess-process.js',
          {
            nodes: stack.nodes.map((n, i) => ({ id: NODE_IDS[i]!, url: n.url })),
            prefix: PREFIX,
            buckets: BUCKETS,
            lane,
            spec,
            expectFile: files[lane]!,
            flushIntervalMs: o.flushIntervalMs,
            writer: o.writer,
          },
          profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
        ),
      );
    }
    const cpu = new CpuMeter(new Map(stack.nodes.map((s) => [`redis-${s.name}`, s.pid])));
    cpu.begin();
    for (const c of clients) c.go();
    const results = await Promise.all(clients.map((c) => c.result));
    const usage = cpu.end();
    const increments = results.reduce((s, r) => s + r.increments, 0);
    const seconds =
      (Math.max(...results.map((r) => r.lastReplyMs)) -
        Math.min(...results.map((r) => r.firstSendMs))) /
      1000;
    const cpuCores: Record<string, number> = {};
    results.forEach((r, i) => (cpuCores[`client-${i}`] = r.cpuSeconds / seconds));
    Object.assign(cpuCores, usage.cores);
    const verify = await verifyLaneTotals(
      files,
      spec.counters,
      stack.layout(PREFIX, BUCKETS),
      stack.nodes.map((n) => n.client),
    );
    return {
      label,
      clients: spec.lanes,
      increments,
      seconds,
      incrementsPerSecond: increments / seconds,
      cpuCores,
      machineCores: usage.machineCores,
      verify,
      writer: o.writer,
      flushes: results.reduce((s, r) => s + r.flushes, 0),
      commandsPerIncrement: results.reduce((s, r) => s + r.commands, 0) / increments,
    };
  } finally {
    for (const c of clients) c.kill();
  }
}
