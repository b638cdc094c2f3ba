import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readExpectFile } from '../../workers/load/index.js';
import { useRedisServers } from '../support/redis-harness.js';
import { ensureBuilt } from './build-once.js';
import { E2eStack } from './support/e2e-stack.js';
import { runLoadCli } from './support/load-cli.js';
import { metricSum } from './support/prom-text.js';
import { describeCheck, verifyCounters } from './support/verify-counters.js';

// 1 queue Redis + 3 storage nodes, 2 `countd worker` processes, `countd load` as a third
// process: the whole write path as it is deployed, checked counter by counter.
describe('write path, end to end', () => {
  const queue = useRedisServers({ count: 1 });
  const nodes = useRedisServers({ count: 3 });
  let stack: E2eStack;
  let dir: string;

  beforeAll(async () => {
    await ensureBuilt();
    stack = new E2eStack(queue.server(0), nodes.servers, 'write-path');
    dir = await mkdtemp(join(tmpdir(), 'countd-e2e-'));
  }, 240_000);
  afterAll(async () => {
    await stack?.dispose();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('stores exactly what the queue confirmed: 1,000,000 Zipf increments over 20,000 counters, 2 workers', async () => {
    const workers = await Promise.all([stack.startWorker('w1'), stack.startWorker('w2')]);
    const expectFile = join(dir, 'expect.json');
    const started = performance.now();
    const load = await runLoadCli(
      [
        '--total',
        '1000000',
        '--counters',
        '20000',
        '--zipf',
        '1.1',
        '--producers',
        '2',
        '--seed',
        '20240611',
        '--expect',
        expectFile,
        '--prefix-names',
        'page',
        '--quiet',
      ],
      stack.workerEnv(),
      120_000,
    );
    expect(load.code, `countd load failed:\n${load.stderr}\n${load.stdout}`).toBe(0);
    const summary = load.summary!;
    expect(summary.confirmed).toBe(1_000_000);
    expect(summary.failed).toBe(0);

    const counts = await stack.waitForDrain(120_000);
    const endToEnd = (performance.now() - started) / 1000;
    expect(counts.failed ?? 0).toBe(0);

    const texts = await Promise.all(workers.map((w) => w.metrics()));
    const storageCommands = texts.reduce(
      (sum, t) => sum + metricSum(t, 'countd_storage_commands_total'),
      0,
    );
    const jobs = texts.reduce((sum, t) => sum + metricSum(t, 'countd_jobs_received_total'), 0);
    const pairs = texts.reduce(
      (sum, t) => sum + metricSum(t, 'countd_increments_received_total'),
      0,
    );
    let hincrby = 0;
    for (const server of nodes.servers) {
      const stats = await server.client().info('commandstats');
      hincrby += Number(/cmdstat_hincrby:calls=(\d+)/.exec(stats)?.[1] ?? 0);
    }

    const expected = await readExpectFile(expectFile);
    const check = await verifyCounters(expected, stack.layout, stack.nodeClients());
    console.log(
      `[e2e write path] ${summary.confirmed} increments over ${expected.size} counters ` +
        `(zipf 1.1, 2 producers, 2 workers): load ${summary.seconds.toFixed(2)} s ` +
        `(${summary.incrementsPerSecond} increments/s confirmed by the queue), ` +
        `all applied after ${endToEnd.toFixed(2)} s; ${summary.jobs} jobs, ${jobs} jobs taken, ` +
        `${pairs} coalesced pairs; ${storageCommands} storage commands ` +
        `(${(storageCommands / summary.confirmed).toFixed(4)} per increment), ` +
        `HINCRBY calls on the nodes ${hincrby}; ${describeCheck(check)}`,
    );
    expect(expected.size).toBeGreaterThanOrEqual(10_000);
    expect(check.mismatches, describeCheck(check)).toEqual([]);
    expect(check.unexpected).toEqual([]);
    expect(check.checked).toBe(expected.size);
    expect(jobs).toBe(summary.jobs);
    expect(storageCommands).toBeLessThan(summary.confirmed);

    // Both drain on SIGTERM and exit 0.
    for (const worker of workers) worker.signal('SIGTERM');
    const exits = await Promise.all(workers.map((w) => w.exited));
    expect(exits.map((e) => e.code)).toEqual([0, 0]);
  }, 300_000);
});
