import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Prng } from '../../workers/load/index.js';
import { describeReply, SCRIPT_CALL, TcpHoldProxy } from '../support/tcp-hold-proxy.js';
import { appliedMarkers, liveMarkers } from './support/applied-markers.js';
import type { E2eStack } from './support/e2e-stack.js';
import { startInProcessLoad } from './support/in-process-load.js';
import { metricSum } from './support/prom-text.js';
import { startTrickle } from './support/trickle-load.js';
import { describeCheck, verifyCounters } from './support/verify-counters.js';
import { useE2eStack } from './support/use-e2e-stack.js';
import type { WorkerExit, WorkerProcess } from './support/worker-process.js';

// Pause timings come from this seed: printed, so a failing run can be replayed (E2E_SEED=...).
const SEED = Number(process.env.E2E_SEED ?? Math.floor(Math.random() * 1e9));
const FLUSH_INTERVAL_MS = 250;

// Issue 10, point 1: a worker frozen (SIGSTOP: a GC pause, a frozen VM) while it holds jobs,
// past its lock; the jobs are redelivered, applied and completed by another worker and their
// markers expire; then the frozen worker wakes. Nothing it still holds may be applied again.
// Short lock, grace and flush settings keep each case around 15-20 s; the marker TTL is the
// smallest allowed (60 s), which is why a trickle keeps worker B applying: B shortens
// completed jobs' markers to the 1 s grace only with its next apply on each node.
describe('a paused worker wakes after its jobs were redelivered', () => {
  const e2e = useE2eStackWithShortLeases();

  it('applies nothing twice when the worker was paused at a random moment while holding jobs', async () => {
    const s = e2e.create('pause-random');
    const rng = new Prng(SEED, 1);
    const [a, b] = await Promise.all([
      // debug: A logs each node flush, which places the pause between two of them.
      s.startWorker('A', { COUNTD_LOG_LEVEL: 'debug' }),
      s.startWorker('B'),
    ]);
    const load = startInProcessLoad(s, {
      total: 24_000,
      counters: 2_000,
      zipf: 1.1,
      rate: 8_000,
      seed: SEED,
    });
    const started = performance.now();
    await sleep(600 + rng.nextFloat() * 1400);
    // Freeze A at a random moment of a flush interval away from its flushes (50-150 ms after a
    // round of them ended, of 250): it then holds jobs taken since, not sent to any node yet.
    // Frozen during a flush instead, its apply may already be on the node (redelivery then
    // finds the markers and nothing is doubled: a pause that proves nothing).
    let held = 0;
    for (let tries = 0; held === 0 && tries < 20; tries++) {
      await flushRoundEnd(a, s.nodeIds);
      await sleep(50 + rng.nextFloat() * 100);
      held = metricSum(await a.metrics(), 'countd_buffer_jobs');
    }
    a.stop();
    const pausedAt = performance.now();
    expect(held, 'worker A held no job to pause with').toBeGreaterThan(0);

    const result = await load.done;
    await load.close();
    expect(result.failed, result.errors.join('; ')).toBe(0);
    const woke = await redeliverAndExpire(s, a, pausedAt, load.expected());
    const check = await verifyCounters(woke.expected, s.layout, s.nodeClients());
    console.log(
      `[e2e paused worker, random moment] seed ${SEED}: A SIGSTOPped ` +
        `${((pausedAt - started) / 1000).toFixed(2)} s into the load holding ${held} jobs, ` +
        `${woke.summary}; ${result.confirmed} increments over ${load.expected().size} counters ` +
        `(B: ${b.alive ? 'alive' : 'exited'}); ${describeCheck(check)}`,
    );
    expectCleanWake(a, woke.exit);
    expect(check.mismatches, describeCheck(check)).toEqual([]);
    expect(check.unexpected).toEqual([]);
  }, 60_000);

  it('applies nothing twice when the worker was paused with its apply on the wire, before the node read it', async () => {
    const s = e2e.create('pause-in-apply');
    // Worker A reaches each node through a relay that holds A's first apply (a script call on
    // the prefix's counter hashes) on the wire: A has decided to write and sent it, the node has
    // not read it. That is the worst moment for a pause: any ownership check A makes is done.
    const proxies = await Promise.all(
      e2e.nodes.servers.map((server) => TcpHoldProxy.start(server)),
    );
    try {
      const counterHashes = s.layout.keys.bucketPattern().slice(0, -1);
      const isApply = (text: string) => SCRIPT_CALL.test(text) && text.includes(counterHashes);
      const holds = proxies.map((proxy, i) => proxy.holdNext(isApply).then((h) => ({ ...h, i })));
      const a = await s.startWorker('A', {
        COUNTD_NODES: proxies.map((p, i) => `${s.nodeIds[i]}=${p.url}`).join(','),
      });
      const load = startInProcessLoad(s, {
        total: 8_000,
        counters: 1_000,
        zipf: 1.1,
        rate: 4_000,
        seed: SEED + 1,
      });
      const first = await within(Promise.race(holds), 15_000, 'worker A sent no apply');
      a.stop();
      const pausedAt = performance.now();
      const b = await s.startWorker('B');

      const result = await load.done;
      await load.close();
      expect(result.failed, result.errors.join('; ')).toBe(0);
      const woke = await redeliverAndExpire(s, a, pausedAt, load.expected(), async () => {
        // Woken first, then the held bytes go on: the stale apply reaches the node now.
        const outcomes = await Promise.all(proxies.map((p) => p.release()));
        return outcomes
          .map((o, i) =>
            o.delivered
              ? `node ${s.nodeIds[i]}: ${o.bytes} held bytes delivered, node answered ${describeReply(o.reply)}`
              : `node ${s.nodeIds[i]}: nothing held`,
          )
          .join('; ');
      });
      const check = await verifyCounters(woke.expected, s.layout, s.nodeClients());
      console.log(
        `[e2e paused worker, apply on the wire] seed ${SEED + 1}: A's apply held on node ` +
          `${s.nodeIds[first.i]} (${first.bytes} bytes), A SIGSTOPped; ${woke.summary}; ` +
          `${woke.released}; ${result.confirmed} increments over ${load.expected().size} ` +
          `counters (B: ${b.alive ? 'alive' : 'exited'}); ${describeCheck(check)}`,
      );
      expectCleanWake(a, woke.exit);
      expect(check.mismatches, describeCheck(check)).toEqual([]);
      expect(check.unexpected).toEqual([]);
    } finally {
      await Promise.all(proxies.map((p) => p.close()));
    }
  }, 60_000);
});

/** The shared e2e setup with the short lease settings of this file. */
function useE2eStackWithShortLeases() {
  const e2e = useE2eStack();
  return {
    nodes: e2e.nodes,
    create: (name: string) =>
      e2e.create(name, {
        COUNTD_LOCK_DURATION_MS: '2000',
        COUNTD_MARKER_GRACE_S: '1',
        COUNTD_MARKER_TTL_S: '60',
        COUNTD_FLUSH_INTERVAL_MS: String(FLUSH_INTERVAL_MS),
      }),
  };
}

/**
 * With `paused` frozen: waits until worker B has applied and completed everything (A's jobs
 * come back once A's locks expire), snapshots the applied markers, keeps B applying (a trickle)
 * until every one of them has expired, then wakes A, runs `afterWake` and gives A several
 * flush intervals to do whatever it still would. Returns every increment confirmed (load and
 * trickle) and how A ended.
 */
async function redeliverAndExpire(
  s: E2eStack,
  paused: WorkerProcess,
  pausedAt: number,
  loadExpected: ReadonlyMap<string, number>,
  afterWake: () => Promise<string> = () => Promise.resolve(''),
) {
  const nodes = s.nodeClients();
  const counts = await s.waitForDrain(20_000);
  expect(counts.failed ?? 0).toBe(0);
  const drainedAt = performance.now();
  const markers = await appliedMarkers(s, nodes);
  const trickle = startTrickle(s);
  const trickleStarted = performance.now();
  // Done when every marker B shortened has expired. Markers of jobs A itself completed just
  // before its pause keep their full TTL: only A's next apply would shorten them. Those jobs
  // are done and not held by A; after 8 flush intervals of trickle, B has shortened every
  // marker it ever would, so a long-lived one left is A's.
  let live = markers.map((m) => ({ ...m, ttlMs: Infinity }));
  const deadline = performance.now() + 15_000;
  const settled = () =>
    performance.now() - trickleStarted > 8 * FLUSH_INTERVAL_MS &&
    live.every((m) => m.ttlMs > 10_000);
  while (!settled() && performance.now() < deadline) {
    await sleep(200);
    live = await liveMarkers(markers, nodes);
  }
  await trickle.stop();
  await s.waitForDrain(10_000);
  expect(settled(), `${live.length} of ${markers.length} markers still there after 15 s`).toBe(
    true,
  );
  const newer = (await appliedMarkers(s, nodes)).length - live.length;
  paused.cont();
  const pauseSeconds = (performance.now() - pausedAt) / 1000;
  const released = await afterWake();
  await sleep(6 * FLUSH_INTERVAL_MS);
  const exit = await Promise.race([paused.exited, sleep(0).then(() => undefined)]);
  const expected = new Map(loadExpected);
  for (const [name, total] of trickle.expected()) expected.set(name, total);
  const after =
    exit === undefined ? 'still running' : `exited (code ${exit.code}, signal ${exit.signal})`;
  return {
    expected,
    exit,
    released,
    summary:
      `paused ${pauseSeconds.toFixed(1)} s (lock 2 s, grace 1 s); B drained the queue ` +
      `${((drainedAt - pausedAt) / 1000).toFixed(1)} s into the pause, then ` +
      `${markers.length - live.length} of its ${markers.length} applied markers expired before ` +
      `SIGCONT (${live.length} kept their TTL: jobs A completed before the pause; ${newer} ` +
      `newer trickle markers); A ${after} ${((6 * FLUSH_INTERVAL_MS) / 1000).toFixed(1)} s after SIGCONT`,
  };
}

/** Resolves once `worker` has logged a flush of every node within 150 ms: a round has ended. */
async function flushRoundEnd(worker: WorkerProcess, nodeIds: readonly string[]): Promise<void> {
  const last = new Map<unknown, number>();
  await worker.waitFor((line) => {
    if (line.msg !== 'flushed' || typeof line.time !== 'number') return false;
    last.set(line.node, line.time);
    return nodeIds.every((id) => (last.get(id) ?? -Infinity) > (line.time as number) - 150);
  }, 5000);
}

/** A woken worker either runs on or has exited cleanly: never a crash. */
function expectCleanWake(worker: WorkerProcess, exit: WorkerExit | undefined): void {
  if (exit === undefined) return;
  expect(exit.code, `worker ${worker.label} exited badly:\n${worker.stderrTail()}`).toBe(0);
}

/** `promise`, or a failure naming `what` past `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
