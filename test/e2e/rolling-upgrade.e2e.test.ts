import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidEventTimeError } from '../../src/errors/index.js';
import { Producer } from '../../src/producer/index.js';
import { ROOT } from './build-once.js';
import { startInProcessLoad } from './support/in-process-load.js';
import { metricSum } from './support/prom-text.js';
import { unpackRelease, type ReleasedPackage } from './support/released-package.js';
import { useE2eStack } from './support/use-e2e-stack.js';
import { describeCheck, verifyCounters } from './support/verify-counters.js';
import type { WorkerExit, WorkerProcess } from './support/worker-process.js';

// Printed, so a failing run can be replayed (E2E_SEED=...).
const SEED = Number(process.env.E2E_SEED ?? Math.floor(Math.random() * 1e9));
// `npm pack` of the 0.1.0 release (commit c46b4d0; built on the same dependency versions, its
// own lockfile fails `npm ci`, see 10e1674), kept as released, dist/test included. The real
// old worker then runs without git history or network, and the fixture never drifts.
const RELEASE_TARBALL = join(ROOT, 'test/fixtures/countd-0.1.0.tgz');
const LOCK_MS = 3000;
const RATE = 15_000;

// A rolling upgrade from 0.1.0 under load. An old and a new producer send jobs of both
// versions throughout, over the same counters; two 0.1.0 workers are replaced one by one, with
// a crash in each direction: a new worker SIGKILLed while only an old one runs (jobs the new
// one partly applied are finished by the old one), then an old worker SIGKILLed while a new
// one runs (the other way round). Jobs are made partly applied on purpose: node c refuses
// writes for a moment (CLIENT PAUSE WRITE) before each kill, so the victim's held jobs have
// their parts on a and b applied and their part on c not. Of the new code only processes,
// env, the storage layout and the totals are relied on, so the test holds whatever the
// markers become; the 0.1.0 workers' metrics show that both directions happened. Last, with
// only new workers left, a producer sends event times in past minutes (payload version 2, which
// it refused to send while 0.1.0 workers ran) beside the version 1 jobs, and a new worker is
// SIGKILLed holding partly applied jobs of both payload versions.
describe('rolling upgrade from 0.1.0', () => {
  const e2e = useE2eStack();
  let release: ReleasedPackage | undefined;

  beforeAll(async () => {
    release = await unpackRelease(RELEASE_TARBALL);
  });
  afterAll(async () => {
    await release?.dispose();
  });

  it('counts exactly while 0.1.0 workers are replaced one by one, with crashes both ways', async () => {
    const old = release!;
    const s = e2e.create('upgrade', {
      COUNTD_CONCURRENCY: '200',
      COUNTD_LOCK_DURATION_MS: String(LOCK_MS),
      COUNTD_MARKER_GRACE_S: '30',
    });
    const startOld = (label: string) =>
      s.startWorker(label, {}, { bin: old.bin, settings: old.settings });
    const startNew = (label: string) => s.startWorker(label);
    const notForOld = Object.keys(s.workerEnv()).filter((name) => !old.settings.has(name));
    const nodeC = e2e.nodes.server(2).client();

    const old1 = await startOld('old-1');
    const old2 = await startOld('old-2');
    const stop = new AbortController();
    const load = startInProcessLoad(
      s,
      {
        // Stopped by the signal once every step is done, however long the steps take.
        total: 100_000_000,
        counters: 20_000,
        zipf: 1.1,
        rate: RATE,
        seed: SEED,
        signal: stop.signal,
      },
      [
        new old.api.Producer({ queue: s.queueConnection, queueName: s.queueName }),
        new Producer({ queue: s.queueConnection, queueName: s.queueName }),
      ],
    );
    // A producer sending event times in past minutes: only payload version 2 carries them, which
    // 0.1.0 workers cannot read, so it refuses them while any runs (its fleet census says so).
    const atProducer = new Producer({
      queue: s.queueConnection,
      queueName: s.queueName,
      payloadCensusIntervalMs: 500,
      lingerMs: 5,
    });
    const refusedWhileOld = await atProducer
      .increment('item:1', 1, { at: Date.now() - 5 * 60_000 })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    const started = performance.now();
    const steps: string[] = [];
    const step = (text: string) =>
      steps.push(`${((performance.now() - started) / 1000).toFixed(1)} s ${text}`);

    // 1. old-1 drained by SIGTERM and replaced: old-2 and new-1 side by side.
    await sleep(3000);
    old1.signal('SIGTERM');
    const old1Exit = await exitWithin(old1, 20_000);
    step(`old-1 SIGTERM, exit ${old1Exit.code}`);
    const new1 = await startNew('new-1');
    await sleep(3000);

    // 2. new-1 SIGKILLed holding partly applied jobs; old-2, alone, gets them back once their
    // locks expire and must skip the parts new-1 applied. Then new-1b starts.
    const new1Held = await killHoldingPartlyApplied(new1, nodeC);
    step(`new-1 SIGKILL holding ${new1Held} jobs, old-2 alone`);
    // Locks expire within LOCK_MS, stalled checks run every LOCK_MS / 2: all are back by then.
    await sleep(2 * LOCK_MS);
    const skippedByOld = await skipped(old2);
    step(`old-2 skipped ${skippedByOld} parts already applied`);
    const new1b = await startNew('new-1b');
    await sleep(3000);

    // 3. old-2 SIGKILLed the same way: new-1b gets its jobs back; new-2 replaces it.
    const old2Held = await killHoldingPartlyApplied(old2, nodeC);
    step(`old-2 SIGKILL holding ${old2Held} jobs, new-1b running`);
    const new2 = await startNew('new-2');
    await sleep(2 * LOCK_MS);

    // 4. Only new workers now: the census lets version 2 through, and jobs of both versions are
    // in flight (the 0.1.0 producer's, the new ones' without `at`, and these); new-1b is
    // SIGKILLed holding partly applied ones and new-2 gets them back.
    const censusBy = performance.now() + 10_000;
    while (atProducer.payloadVersion !== 2 && performance.now() < censusBy) await sleep(100);
    step(`census: payload version ${atProducer.payloadVersion}`);
    const atConfirmed = new Map<string, number>();
    const atSends: Array<Promise<void>> = [];
    let sendingAt = true;
    const atLoop = (async () => {
      for (let i = 0; sendingAt; i++) {
        for (let k = 0; k < 20; k++) {
          const name = `item:${(i * 20 + k) % 500}`;
          const at = Date.now() - (1 + (k % 3)) * 60_000;
          atSends.push(
            atProducer
              .increment(name, 1, { at })
              .then(() => void atConfirmed.set(name, (atConfirmed.get(name) ?? 0) + 1)),
          );
        }
        await sleep(10);
      }
    })();
    await sleep(2000);
    const new1bHeld = await killHoldingPartlyApplied(new1b, nodeC);
    step(`new-1b SIGKILL holding ${new1bHeld} jobs (versions 1 and 2), new-2 running`);
    await sleep(2 * LOCK_MS);
    sendingAt = false;
    await atLoop;
    const atResults = await Promise.allSettled(atSends);
    const atFailed = atResults.filter((r) => r.status === 'rejected').length;
    await atProducer.close();
    const loadRunning = !load.finished;
    stop.abort();

    const result = await load.done;
    await load.close();
    const counts = await s.waitForDrain(60_000);
    const seconds = (performance.now() - started) / 1000;
    const expected = load.expected();
    const atTotal = [...atConfirmed.values()].reduce((a, b) => a + b, 0);
    for (const [name, n] of atConfirmed) expected.set(name, (expected.get(name) ?? 0) + n);
    const check = await verifyCounters(expected, s.layout, s.nodeClients());
    const skippedByNew = await skipped(new2);
    console.log(
      `[e2e rolling upgrade] seed ${SEED}: ${result.confirmed} increments (old and new ` +
        `producer, ${result.batches} jobs) and ${atTotal} with event times in past minutes ` +
        `(payload version 2, refused while 0.1.0 workers ran: ${String(refusedWhileOld)}) ` +
        `over ${expected.size} counters at ${RATE}/s; ` +
        `${old.version} -> current: ${steps.join('; ')}; load ran throughout ${loadRunning}; ` +
        `parts skipped by the new workers ${skippedByNew}; env not given to ${old.version} ` +
        `workers: ${notForOld.join(', ') || 'none'}; all applied after ${seconds.toFixed(1)} s; ` +
        `${describeCheck(check)}`,
    );
    expect(refusedWhileOld).toBeInstanceOf(InvalidEventTimeError);
    expect(atProducer.payloadVersion).toBe(2);
    expect(atFailed).toBe(0);
    expect(atTotal).toBeGreaterThan(1000);
    expect(new1bHeld).toBeGreaterThan(0);
    expect(old1Exit.code, old1.stderrTail()).toBe(0);
    expect(loadRunning).toBe(true);
    expect(result.failed, result.errors.join('; ')).toBe(0);
    expect(counts.failed ?? 0, s.stderrTails()).toBe(0);
    expect(check.mismatches, describeCheck(check)).toEqual([]);
    expect(check.unexpected).toEqual([]);
    // Both directions happened, as the 0.1.0 workers' own metrics show (new workers' metrics
    // are printed, not relied on): old-2 found parts new-1 applied, and held jobs when killed.
    expect(skippedByOld, 'old-2 found none of the parts new-1 applied').toBeGreaterThan(0);
    expect(old2Held).toBeGreaterThan(0);
  }, 150_000);
});

/**
 * Pauses writes on `node` (a storage node) for a moment, so that `worker` applies the parts of
 * its held jobs on the other nodes and not there, SIGKILLs it, and lets writes resume.
 * Returns the jobs it held.
 */
async function killHoldingPartlyApplied(worker: WorkerProcess, node: Redis): Promise<number> {
  await node.call('CLIENT', 'PAUSE', '20000', 'WRITE');
  try {
    await sleep(1000); // 3 flush intervals: the other nodes' parts are applied
    const held = metricSum(await worker.metrics(), 'countd_buffer_jobs');
    await worker.kill();
    return held;
  } finally {
    await node.call('CLIENT', 'UNPAUSE');
  }
}

/** Job parts `worker` found already applied and skipped (the 0.1.0 metric, kept since). */
async function skipped(worker: WorkerProcess): Promise<number> {
  return metricSum(await worker.metrics(), 'countd_duplicate_parts_skipped_total');
}

async function exitWithin(worker: WorkerProcess, ms: number): Promise<WorkerExit> {
  const exit = await Promise.race([worker.exited, sleep(ms).then(() => undefined)]);
  if (exit === undefined) {
    throw new Error(
      `worker ${worker.label} still running ${ms} ms after SIGTERM:\n${worker.stderrTail()}`,
    );
  }
  return exit;
}
