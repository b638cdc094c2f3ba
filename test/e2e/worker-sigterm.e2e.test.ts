import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { useE2eStack } from './support/use-e2e-stack.js';
import type { E2eStack } from './support/e2e-stack.js';
import { startInProcessLoad, type InProcessLoad } from './support/in-process-load.js';
import { describeCheck, verifyCounters } from './support/verify-counters.js';
import type { WorkerExit, WorkerProcess } from './support/worker-process.js';

const SEED = Number(process.env.E2E_SEED ?? Math.floor(Math.random() * 1e9));

// SIGTERM while load runs, with a single worker: once it has exited nothing may be active in
// the queue (no job left held by it), and a worker started afterwards applies the rest exactly.
describe('worker SIGTERM during load', () => {
  const e2e = useE2eStack();
  const { nodes } = e2e;

  it('drains, exits 0 within the deadline and leaves no job held', async () => {
    const s = e2e.create('sigterm', {
      COUNTD_SHUTDOWN_TIMEOUT_MS: '10000',
    });
    const { first, load } = await startFirstAndLoad(s, 300_000, 20_000, SEED);
    await sleep(5000);
    const draining = first.waitFor((line) => line.msg === 'draining', 5000);
    const signalled = performance.now();
    first.signal('SIGTERM');
    const heldAtSigterm = (await draining).held;
    const exit = await exitWithin(first, 20_000);
    const drainSeconds = (exit.at - signalled) / 1000;
    const afterExit = await s.jobCounts();
    const loadRunning = !load.finished;

    const rest = await finishWithSecondWorker(s, load);
    const { result, expected, check } = rest;
    console.log(
      `[e2e sigterm] seed ${SEED}: SIGTERM with ${String(heldAtSigterm)} jobs held, load running ` +
        `${loadRunning}; exit code ${exit.code} after ${drainSeconds.toFixed(2)} s (deadline 10 s); ` +
        `active jobs right after exit ${afterExit.active}, waiting ${afterExit.waiting}; ` +
        `${result.confirmed} increments over ${expected.size} counters, rest applied by a second ` +
        `worker; ${describeCheck(check)}`,
    );
    expect(exit.code, first.stderrTail()).toBe(0);
    expect(first.messages.get('drained, bye')).toBe(1);
    expect(drainSeconds).toBeLessThan(10);
    expect(loadRunning).toBe(true);
    expect(afterExit.active).toBe(0);
    await expectExactThenStop(rest);
  }, 180_000);

  it('gives up at the deadline when a node is down (exit 1); the jobs it held are redelivered and applied once', async () => {
    const s = e2e.create('sigterm-deadline', {
      COUNTD_SHUTDOWN_TIMEOUT_MS: '3000',
    });
    const { first, load } = await startFirstAndLoad(s, 100_000, 5_000, SEED + 1);
    await sleep(2000);
    const node = nodes.server(2);
    await node.kill();
    await sleep(1000);
    const signalled = performance.now();
    first.signal('SIGTERM');
    const exit = await exitWithin(first, 15_000);
    const seconds = (exit.at - signalled) / 1000;
    await node.restart();
    const rest = await finishWithSecondWorker(s, load);
    const { result, expected, check } = rest;
    console.log(
      `[e2e sigterm, node down] seed ${SEED + 1}: exit code ${exit.code} after ${seconds.toFixed(2)} s ` +
        `(deadline 3 s); ${result.confirmed} increments over ${expected.size} counters; ` +
        `${describeCheck(check)}`,
    );
    expect(exit.code, first.stderrTail()).toBe(1);
    expect(seconds).toBeGreaterThanOrEqual(2.9);
    expect(seconds).toBeLessThan(8);
    await expectExactThenStop(rest);
  }, 180_000);
});

/** Worker `first`, then the load both tests send (Zipf 1.1, 20k increments/s). */
async function startFirstAndLoad(s: E2eStack, total: number, counters: number, seed: number) {
  const first = await s.startWorker('first');
  const load = startInProcessLoad(s, { total, counters, zipf: 1.1, rate: 20_000, seed });
  return { first, load };
}

/** A second worker applies the rest; once the load ended and the queue drained, totals are read. */
async function finishWithSecondWorker(s: E2eStack, load: InProcessLoad) {
  const second = await s.startWorker('second');
  const result = await load.done;
  await load.close();
  const counts = await s.waitForDrain(120_000);
  const expected = load.expected();
  const check = await verifyCounters(expected, s.layout, s.nodeClients());
  return { second, result, counts, expected, check };
}

/** Nothing failed, every total is exact, and the second worker drains on SIGTERM. */
async function expectExactThenStop(rest: Awaited<ReturnType<typeof finishWithSecondWorker>>) {
  const { second, result, counts, check } = rest;
  expect(result.failed, result.errors.join('; ')).toBe(0);
  expect(counts.failed ?? 0).toBe(0);
  expect(check.mismatches, describeCheck(check)).toEqual([]);
  expect(check.unexpected).toEqual([]);
  second.signal('SIGTERM');
  expect((await second.exited).code).toBe(0);
}

/** The worker's exit, or a failure with its stderr if it has not exited within `ms`. */
async function exitWithin(worker: WorkerProcess, ms: number): Promise<WorkerExit> {
  const timeout = sleep(ms).then(() => undefined);
  const exit = await Promise.race([worker.exited, timeout]);
  if (exit === undefined) {
    throw new Error(
      `worker ${worker.label} still running ${ms} ms after SIGTERM:\n${worker.stderrTail()}`,
    );
  }
  return exit;
}
