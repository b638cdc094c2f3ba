import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BenchChild } from './bench-child.js';
import { NODE_IDS, type BenchStack } from './bench-stack.js';
import type { DirectConfig, DirectResult } from './direct-process.js';
import type { JobPerIncrementConfig, JobPerIncrementResult } from './job-per-increment-process.js';
import { CpuMeter } from './proc-stats.js';
import { verifyLaneTotals, type VerifyResult } from './verify.js';
import type { WorkloadSpec } from './workload.js';

export interface BaselineResult {
  readonly label: string;
  readonly clients: number;
  readonly increments: number;
  readonly seconds: number;
  readonly incrementsPerSecond: number;
  readonly cpuCores: Readonly<Record<string, number>>;
  readonly machineCores: number;
  readonly verify: VerifyResult | undefined;
}

const PREFIX = 'countd';
const BUCKETS = 4096;

/** Per-process CPU, exact read-back and rates of a finished baseline run. */
async function baselineResult(
  label: string,
  role: string,
  run: {
    stack: BenchStack;
    files: readonly string[];
    spec: WorkloadSpec;
    results: ReadonlyArray<{ cpuSeconds: number }>;
    increments: number;
    seconds: number;
    usage: ReturnType<CpuMeter['end']>;
  },
): Promise<BaselineResult> {
  const { stack, files, spec, results, increments, seconds, usage } = run;
  const cpuCores: Record<string, number> = {};
  results.forEach((r, i) => (cpuCores[`${role}-${i}`] = r.cpuSeconds / seconds));
  Object.assign(cpuCores, usage.cores);
  const verify = await verifyLaneTotals(
    [...files],
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
  };
}

function nodesOf(stack: BenchStack): Array<{ id: string; url: string }> {
  return stack.nodes.map((n, i) => ({ id: NODE_IDS[i]!, url: n.url }));
}

/**
 * B1: per-event HINCRBY through ioredis auto-pipelining, same lanes (names, deltas) as S1,
 * one client process per S1 producer, placement by the same ring and layout.
 */
export async function runDirect(
  stack: BenchStack,
  dir: string,
  spec: WorkloadSpec,
  limit: number,
): Promise<BaselineResult> {
  await stack.reset();
  const files = Array.from({ length: spec.lanes }, (_, lane) => join(dir, `b1-expect-${lane}.f64`));
  const clients: Array<BenchChild<DirectConfig, DirectResult>> = [];
  try {
    for (let lane = 0; lane < spec.lanes; lane++) {
      clients.push(
        await BenchChild.start<DirectConfig, DirectResult>('./direct-process.js', {
          nodes: nodesOf(stack),
          prefix: PREFIX,
          buckets: BUCKETS,
          lane,
          spec,
          limit: Math.ceil(limit / spec.lanes),
          expectFile: files[lane]!,
        }),
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
    return await baselineResult('b1-direct', 'client', {
      stack,
      files,
      spec,
      results,
      increments,
      seconds,
      usage,
    });
  } finally {
    for (const c of clients) c.kill();
  }
}

/**
 * B2: one BullMQ job per increment (first `limit` increments of the same lanes), `producers`
 * processes adding, `workers` plain BullMQ workers doing HINCRBY per job. Timed from the first
 * add to the last HINCRBY counted by the nodes.
 */
export async function runJobPerIncrement(
  stack: BenchStack,
  dir: string,
  spec: WorkloadSpec,
  limit: number,
  workers: number,
): Promise<BaselineResult> {
  await stack.reset();
  const files = Array.from({ length: spec.lanes }, (_, lane) => join(dir, `b2-expect-${lane}.f64`));
  const children: Array<BenchChild<JobPerIncrementConfig, JobPerIncrementResult>> = [];
  const base = {
    queueUrl: stack.queue.url,
    queueName: 'bench-b2',
    nodes: nodesOf(stack),
    prefix: PREFIX,
    buckets: BUCKETS,
    spec,
    limit: Math.ceil(limit / spec.lanes),
    concurrency: 100,
  };
  try {
    const consumers = [];
    for (let i = 0; i < workers; i++) {
      consumers.push(
        await BenchChild.start<JobPerIncrementConfig, JobPerIncrementResult>(
          './job-per-increment-process.js',
          { ...base, role: 'worker', lane: i, expectFile: '' },
        ),
      );
    }
    const producers = [];
    for (let lane = 0; lane < spec.lanes; lane++) {
      producers.push(
        await BenchChild.start<JobPerIncrementConfig, JobPerIncrementResult>(
          './job-per-increment-process.js',
          { ...base, role: 'producer', lane, expectFile: files[lane]! },
        ),
      );
    }
    children.push(...consumers, ...producers);
    const cpu = new CpuMeter(
      new Map([
        ...consumers.map((c, i): [string, number] => [`worker-${i}`, c.pid]),
        ...stack.all.map((s): [string, number] => [`redis-${s.name}`, s.pid]),
      ]),
    );
    for (const c of consumers) c.go();
    cpu.begin();
    for (const p of producers) p.go();
    const results = await Promise.all(producers.map((p) => p.result));
    const increments = results.reduce((s, r) => s + r.increments, 0);
    while ((await stack.storageCalls('hincrby')) < increments) await sleep(20);
    const endMs = performance.timeOrigin + performance.now();
    const usage = cpu.end();
    const seconds = (endMs - Math.min(...results.map((r) => r.firstSendMs))) / 1000;
    return await baselineResult('b2-job-per-increment', 'producer', {
      stack,
      files,
      spec,
      results,
      increments,
      seconds,
      usage,
    });
  } finally {
    for (const c of children) c.kill();
  }
}
