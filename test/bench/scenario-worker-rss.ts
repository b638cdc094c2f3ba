import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BenchChild } from './bench-child.js';
import type { BenchStack } from './bench-stack.js';
import { sum } from './metrics-scrape.js';
import { RssSampler, rssBytes } from './proc-stats.js';
import type { ProducerConfig, ProducerResult } from './producer-process.js';
import { verifyLaneTotals, type VerifyResult } from './verify.js';
import { WorkerProcesses } from './worker-processes.js';

export interface WorkerRssResult {
  readonly counters: number;
  readonly idleRssMb: number;
  /** Peak RSS while every counter is buffered (and its jobs held). */
  readonly bufferedRssMb: number;
  /** V8 heap used / total and external memory of the worker then (prom-client default metrics). */
  readonly heapUsedMb: number;
  readonly heapTotalMb: number;
  readonly externalMb: number;
  readonly bufferCounters: number;
  readonly heldJobs: number;
  /** SIGTERM to exit: the final flush of everything buffered. */
  readonly drainSeconds: number;
  readonly verify: VerifyResult;
}

const GIB = 1024 ** 3;

/**
 * One `countd worker` with a flush interval and buffer limits far above the run, fed
 * `counters` distinct counters once each: all of them sit in its buffer (and their jobs are
 * held) at once. RSS is sampled from /proc; then SIGTERM drains it and the values are checked.
 */
export async function runWorkerRss(
  stack: BenchStack,
  dir: string,
  counters: number,
  producers: number,
): Promise<WorkerRssResult> {
  await stack.reset();
  const queueName = 'bench-rss';
  const workers = await WorkerProcesses.start({
    count: 1,
    logDir: dir,
    env: {
      COUNTD_QUEUE_URL: stack.queue.url,
      COUNTD_NODES: stack.nodeSpec,
      COUNTD_QUEUE_NAME: queueName,
      COUNTD_FLUSH_INTERVAL_MS: '3600000',
      COUNTD_MAX_BUFFER_COUNTERS: String(counters * 2),
      COUNTD_MAX_BUFFER_BYTES: String(4 * GIB),
      // The held-jobs trigger fires at concurrency / 2 jobs: above the ~1000 jobs of the feed.
      COUNTD_CONCURRENCY: '10000',
    },
  });
  const children: Array<BenchChild<ProducerConfig, ProducerResult>> = [];
  try {
    const pid = workers.pids[0]!;
    await sleep(500);
    const idle = rssBytes(pid) ?? 0;
    const spec = { counters, zipf: 0, seed: 1, total: counters, lanes: producers };
    const files = Array.from({ length: producers }, (_, lane) =>
      join(dir, `rss-expect-${lane}.f64`),
    );
    for (let lane = 0; lane < producers; lane++) {
      children.push(
        await BenchChild.start<ProducerConfig, ProducerResult>('./producer-process.js', {
          queueUrl: stack.queue.url,
          queueName,
          lane,
          spec,
          mode: 'distinct',
          rate: 0,
          expectFile: files[lane]!,
        }),
      );
    }
    for (const c of children) c.go();
    const results = await Promise.all(children.map((c) => c.result));
    const jobs = results.reduce((s, r) => s + r.jobs, 0) + producers;
    let samples = await workers.scrape();
    const deadline = Date.now() + 120_000;
    while (sum(samples, 'countd_buffer_jobs') < jobs) {
      if (Date.now() > deadline) throw new Error('rss: the worker did not take every job');
      await sleep(100);
      samples = await workers.scrape();
    }
    const rss = new RssSampler(() => [pid], 50);
    await sleep(2000);
    const buffered = rss.stop();
    samples = await workers.scrape();
    const drainStart = performance.now();
    const codes = await workers.stop(120_000);
    const drainSeconds = (performance.now() - drainStart) / 1000;
    if (codes[0] !== 0) throw new Error(`rss: worker exited with ${codes[0]}`);
    const verify = await verifyLaneTotals(
      files,
      counters,
      stack.layout('countd', 4096),
      stack.nodes.map((n) => n.client),
    );
    return {
      counters,
      idleRssMb: idle / 2 ** 20,
      bufferedRssMb: buffered / 2 ** 20,
      heapUsedMb: sum(samples, 'nodejs_heap_size_used_bytes') / 2 ** 20,
      heapTotalMb: sum(samples, 'nodejs_heap_size_total_bytes') / 2 ** 20,
      externalMb: sum(samples, 'nodejs_external_memory_bytes') / 2 ** 20,
      bufferCounters: sum(samples, 'countd_buffer_counters'),
      heldJobs: sum(samples, 'countd_buffer_jobs'),
      drainSeconds,
      verify,
    };
  } finally {
    for (const c of children) c.kill();
    await workers.stop(5000).catch(() => undefined);
  }
}
