import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { CounterReader } from '../../src/reader/index.js';
import { HashRing, measureMovement } from '../../src/ring/index.js';
import { StorageLayout } from '../../src/storage/index.js';
import { Prng, readExpectFile } from '../../workers/load/index.js';
import type { PlanReport } from '../../workers/cli/commands/ring-plan-format.js';
import type { RingStatusReport } from '../../workers/cli/commands/ring-status-report.js';
import { useRedisServers } from '../support/redis-harness.js';
import { CountdProcess, type CountdProcessExit } from './support/countd-process.js';
import { runCountd } from './support/countd-run.js';
import type { E2eStack } from './support/e2e-stack.js';
import { startIncreasingCounters } from './support/increasing-counters.js';
import { LoadProcess } from './support/load-process.js';
import { ReadPoller } from './support/read-poller.js';
import { progressOf, RingChangeWatch } from './support/ring-change-watch.js';
import { hashFieldNames, scanKeys, storedCounterNames } from './support/stored-keys.js';
import { useE2eStack } from './support/use-e2e-stack.js';
import { describeCheck, verifyCounters } from './support/verify-counters.js';
import type { WorkerProcess } from './support/worker-process.js';

// Printed, so a failing run can be replayed (E2E_SEED=...): kill timings and the load.
const SEED = Number(process.env.E2E_SEED ?? Math.floor(Math.random() * 1e9));
const COUNTERS = 100_000;
const MIN_INCREMENTS = 2_000_000;
// The load is sized past what the test needs and stopped (SIGTERM) once both changes are done
// and MIN_INCREMENTS were confirmed, so every step runs under load however long a loaded
// machine takes: at RATE, MIN_INCREMENTS take 125 s, the whole load at most 190 s.
const LOAD_TOTAL = 3_000_000;
const RATE = 16_000;
const READ_COUNTERS = 1000;
const LOCK_S = 3;
const MIN_ADD_KILLS = 3;
// |measured − expected| share of counters moved by the add, in absolute terms: both count the
// same counters; they differ only by those first written between the count and the fence.
const SHARE_TOLERANCE = 0.01;
// Counters per move step: small, so the move lasts past the runner's first progress save
// (500 ms) and the command can be SIGKILLed with counters moved and more to move.
const MOVE_BATCH = 100;
/** Counters per second the first, killed, run of the add moves at most. */
const ADD_MAX_RATE = 2000;

// A live ring change under load and faults, through the real processes: 3 storage nodes (a, b,
// c) with AOF always, a 4th (d) started empty, the queue Redis, 2 `countd worker`, `countd load
// --expect` of 2M+ Zipf increments over 100,000 counters. `countd ring add d=… --wait` runs while
// workers are SIGKILLed and restarted (with the node list of the ring current at the restart: a
// stale list is refused), and the command itself is SIGKILLed once while it moves counters, then
// resumed. Then `countd ring remove b --wait` under the same load. Meanwhile a CounterReader in
// this process polls 1,000 counters that only grow: no read may go down or exceed what was sent.
// Afterwards every counter is exact, b holds no counter hash, no moved@ flag is left, and the
// share of counters the add moved matches ketama's placement.
describe('live ring change under load and faults', () => {
  const e2e = useE2eStack();
  const spare = useRedisServers({ count: 1, appendonly: true, appendfsync: 'always' });
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'countd-ring-e2e-'));
  });
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('adds d and removes b live: 0 lost, 0 doubled, no read ever lower, ketama share moved', async () => {
    const s = e2e.create('ring', {
      COUNTD_CONCURRENCY: '200',
      COUNTD_LOCK_DURATION_MS: String(LOCK_S * 1000),
    });
    const rng = new Prng(SEED, 3);
    const nodeD = spare.server(0);
    const urls = new Map<string, string>([
      ...s.nodeIds.map((id, i): [string, string] => [id, s.nodeServers[i]!.url]),
      ['d', nodeD.url],
    ]);
    const clients = new Map<string, Redis>([...s.nodeClients(), ['d', nodeD.client()]]);
    const spec = (ids: readonly string[]) => ids.map((id) => `${id}=${urls.get(id)!}`).join(',');
    const envFor = (ids: readonly string[]) => s.workerEnv({ COUNTD_NODES: spec(ids) });
    const watch = new RingChangeWatch(s.queueServer.client(), s.prefix, s.queueName);
    onTestFinished(() => watch.stop());
    const commands = new Set<CountdProcess>();
    onTestFinished(async () => {
      await Promise.all([...commands].map((c) => c.kill()));
    });
    const command = (label: string, args: readonly string[], ids: readonly string[]) => {
      const started = CountdProcess.start(label, args, envFor(ids), 120_000);
      commands.add(started);
      void started.exited.then(() => commands.delete(started));
      return started;
    };
    const started = performance.now();
    const at = () => Number(((performance.now() - started) / 1000).toFixed(1));

    // Workers: two slots, each restarted after its kill with the ring's node list of that moment.
    const currentIds = async () => (await watch.read()).ring?.nodes.map((n) => n.id) ?? s.nodeIds;
    let restarts = 0;
    const startWorker = async (slot: number): Promise<WorkerProcess> => {
      let last: unknown;
      // The ring can switch between the read and the worker's registration: it is then
      // refused with the list just read, and started again with the new one.
      for (let attempt = 0; attempt < 3; attempt++) {
        const ids = await currentIds();
        try {
          return await s.startWorker(`w${slot}-${restarts++}`, { COUNTD_NODES: spec(ids) });
        } catch (err) {
          last = err;
        }
      }
      throw last;
    };
    const workers = [await startWorker(0), await startWorker(1)];

    const expectFile = join(dir, 'expect.json');
    const load = new LoadProcess(
      [
        ...['--total', String(LOAD_TOTAL), '--counters', String(COUNTERS), '--zipf', '1.1'],
        ...['--rate', String(RATE), '--producers', '2', '--seed', String(SEED)],
        ...['--expect', expectFile],
      ],
      s.workerEnv(),
      400_000,
    );
    onTestFinished(() => load.kill());
    const increasing = startIncreasingCounters(s, { count: READ_COUNTERS, seed: SEED });
    onTestFinished(() => increasing.stop());
    // The reader of an application: built from configuration (the initial node list), it
    // follows the fleet's ring records through both changes by itself.
    const reader = CounterReader.fromConfig(parseConfig(envFor(s.nodeIds)));
    onTestFinished(() => reader.close());
    const poller = new ReadPoller(
      increasing.names,
      (names) => reader.getMany(names),
      (name) => increasing.sent(name),
    );
    onTestFinished(async () => {
      await poller.stop();
    });
    await waitFor(
      () => load.confirmed >= 100_000,
      60_000,
      () => `load: ${load.confirmed}`,
    );

    // Kills workers one at a time (a random slot, after a random pause) until `stop` says so,
    // each restarted before the next; the phase of the change at each kill is kept.
    const kills: Array<{ slot: number; phase: string; at: number }> = [];
    const killLoop = (stop: () => boolean, minPauseMs: number) =>
      (async () => {
        while (!stop()) {
          await sleep(minPauseMs + rng.nextFloat() * 800);
          if (stop()) break;
          const slot = rng.nextFloat() < 0.5 ? 0 : 1;
          const phase = watch.phase;
          await workers[slot]!.kill();
          kills.push({ slot, phase, at: at() });
          workers[slot] = await startWorker(slot);
        }
      })();

    // --- add d ------------------------------------------------------------------------------
    const fromRing = new HashRing(s.nodeIds.map((id) => ({ id, weight: 1 })));
    const toRing = fromRing.withNode({ id: 'd', weight: 1 });
    // What the CLI plans on the counters stored now (and expects from ring math on synthetic
    // keys), before anything changes.
    const dryRunStarted = performance.now();
    const dryRun = await runCountd(['ring', 'add', `d=${nodeD.url}`, '--dry-run', '--json'], {
      env: envFor(s.nodeIds),
    });
    const dryRunSeconds = (performance.now() - dryRunStarted) / 1000;
    expect(dryRun.code, dryRun.output).toBe(0);
    const plan = JSON.parse(dryRun.stdout.toString()) as PlanReport;
    const addStarted = at();
    // Paced, so that the kill below lands while counters move, however few the load stored
    // by now; the resumed run goes at full speed.
    const addArgs = [
      ...['ring', 'add', `d=${nodeD.url}`, '--wait', '--batch', String(MOVE_BATCH)],
      ...['--max-rate', String(ADD_MAX_RATE)],
    ];
    const add = command('ring add', addArgs, s.nodeIds);
    let addDone = false;
    const addKills = killLoop(() => addDone, 200);
    // The counters stored when the change begins: the share it moves is counted on them. While
    // the phase is fencing nothing is folded yet, and fenced nodes take no new counter.
    await watch.until((st) => st.change !== undefined, 60_000, 'with the change record');
    const fromClients = new Map([...clients].filter(([id]) => id !== 'd'));
    const beforeAdd = await storedCounterNames(fromClients, s.layout);
    const countedIn = watch.phase;
    await watch
      .until(
        (st) => st.change?.phase === 'moving' && st.change.moved > 0,
        60_000,
        'with phase moving and counters moved',
      )
      .catch(async (err: unknown) => {
        throw new Error(`${String(err)}\n${add.output}`);
      });
    const killedExit = await add.kill();
    // What an operator would look at before running the command again.
    const status = await runCountd(['ring', 'status', '--json'], {
      env: envFor(toRing.nodes.map((n) => n.id)),
    });
    expect(status.code, status.output).toBe(0);
    const statusReport = JSON.parse(status.stdout.toString()) as RingStatusReport;
    expect(statusReport.change?.phase).toBe('moving');
    const movedAtKill = statusReport.change?.moved ?? 0;
    // With no runner alive, d's flags are exactly what the killed run folded (the record's
    // `moved` is saved every 500 ms, so it may lag behind by what the last steps folded).
    const foldedByKilled = await hashFieldNames(nodeD.client(), s.layout.keys.movedInPattern());
    // The change stays half-done while its command is dead: workers go on under the new ring,
    // and are killed meanwhile, until at least MIN_ADD_KILLS kills happened during the change.
    await waitFor(
      () => kills.filter((k) => k.phase !== 'none').length >= MIN_ADD_KILLS,
      60_000,
      () => `${kills.length} kills`,
    );
    const resumed = command(
      'ring resume',
      ['ring', 'resume', '--wait', '--json', '--batch', String(MOVE_BATCH)],
      toRing.nodes.map((n) => n.id),
    );
    const resumedExit = await resumed.exited;
    addDone = true;
    await addKills;
    const addChange = watch.lastChange;
    const afterAdd = await watch.read();
    const addFinished = at();
    expect(killedExit.signal, killedExit.stdout + killedExit.stderr).toBe('SIGKILL');
    expect(resumedExit.code, describeExit('ring resume', resumedExit)).toBe(0);
    expect(afterAdd.change).toBeUndefined();
    expect(afterAdd.ring?.nodes.map((n) => n.id)).toEqual(['a', 'b', 'c', 'd']);
    const addKillCount = kills.length;
    // Kills before the command wrote its record (phase 'none') do not count as during it.
    const addKillsDuring = kills.filter((k) => k.phase !== 'none').length;
    const addDoneReport = JSON.parse(resumedExit.stdout) as ChangeDone;
    expect(addDoneReport.done).toBe(true);
    // Folded in all: by the killed run (its flags), then by the resumed one (what its report
    // adds to the record it started from). Counted on: the counters stored at the change's
    // start, which the count taken in its first moments may have missed once folded.
    const addMoved = foldedByKilled.size + (addDoneReport.moved - movedAtKill);
    const stored = new Set([...beforeAdd, ...foldedByKilled]);
    const measuredShare = addMoved / stored.size;
    const expectedShare = measureMovement(fromRing, toRing, [...stored]).fraction;

    // --- remove b ---------------------------------------------------------------------------
    const removeStarted = at();
    const loadBeforeRemove = load.running;
    const remove = command(
      'ring remove',
      ['ring', 'remove', 'b', '--wait', '--json'],
      ['a', 'b', 'c', 'd'],
    );
    let removeDone = false;
    const removeKills = killLoop(() => removeDone, 300);
    const removeExit = await remove.exited;
    removeDone = true;
    await removeKills;
    const removeChange = watch.lastChange;
    const afterRemove = await watch.read();
    const removeFinished = at();
    const loadAfterRemove = load.running;
    expect(removeExit.code, describeExit('ring remove', removeExit)).toBe(0);
    const removeDoneReport = JSON.parse(removeExit.stdout) as ChangeDone;
    expect(afterRemove.change).toBeUndefined();
    expect(afterRemove.ring?.nodes.map((n) => n.id)).toEqual(['a', 'c', 'd']);

    // --- the load ends, everything drains ----------------------------------------------------
    await waitFor(
      () => load.confirmed >= MIN_INCREMENTS || !load.running,
      240_000,
      () => `load: ${load.confirmed}`,
    );
    load.stop();
    const loadResult = await load.done;
    await increasing.stop();
    expect(loadResult.code, loadResult.output.slice(-3000)).toBe(0);
    const summary = loadResult.summary!;
    expect(summary.failed).toBe(0);
    expect(increasing.failures).toEqual([]);
    const counts = await s.waitForDrain(120_000);
    const reads = await poller.stop();

    // --- every counter, exactly ---------------------------------------------------------------
    const finalIds = ['a', 'c', 'd'];
    const confirmed = await readExpectFile(expectFile);
    const expected = new Map<string, number>();
    for (let i = 0; i < COUNTERS; i++) expected.set(`load:${i}`, confirmed.get(`load:${i}`) ?? 0);
    for (const [name, total] of increasing.confirmed()) expected.set(name, total);
    const finalLayout = new StorageLayout(
      new HashRing(finalIds.map((id) => ({ id, weight: 1 }))),
      s.prefix,
      s.layout.buckets,
    );
    // 1. the storage layout itself, where the final ring places each counter, and nothing else
    //    stored anywhere (b included);
    const check = await verifyCounters(expected, finalLayout, clients);
    // 2. `countd get --json -` with the final node list;
    const names = [...expected.keys()];
    const got = await runCountd(['get', '--json', '-'], {
      env: envFor(finalIds),
      stdin: Buffer.from(`${names.join('\n')}\n`),
      timeoutMs: 60_000,
    });
    expect(got.code, got.output.slice(0, 2000)).toBe(0);
    const cliValues = JSON.parse(got.stdout.toString()) as Record<string, number>;
    const cliWrong = names.filter((n) => cliValues[n] !== expected.get(n));
    // 3. the reader that followed both changes, now reading the final ring.
    const finalReads = await reader.getMany(names);
    const readerWrong = names.filter((n) => finalReads.get(n) !== expected.get(n));

    const leftOnB = await scanKeys(clients.get('b')!, s.layout.keys.bucketPattern());
    const movedFlags = (
      await Promise.all([...clients].map(([, redis]) => scanKeys(redis, movedPattern(s))))
    ).flat();
    const snapshotLeft = await s.queueServer
      .client()
      .exists(s.layout.keys.ringChangeJobs(s.queueName));

    const addPhases = kills.slice(0, addKillCount).map((k) => k.phase);
    const removeKillsDone = kills.slice(addKillCount);
    console.log(
      `[ring-change e2e] seed ${SEED}: ${summary.confirmed} increments over ${COUNTERS} counters ` +
        `(zipf 1.1, ${RATE}/s, ${summary.seconds.toFixed(0)} s${summary.stopped ? ', stopped once both changes were done' : ''}); ` +
        `add d (${addStarted}–${addFinished} s): ${addKillCount} worker SIGKILLs (phases ${addPhases.join(', ')}), ` +
        `command SIGKILLed at moved=${movedAtKill} and resumed (${resumedExit.seconds.toFixed(1)} s); ` +
        `moved ${addMoved} of ${stored.size} (share ${measuredShare.toFixed(3)}, ketama expects ${expectedShare.toFixed(3)}` +
        `; counted while ${countedIn}; killed run folded ${foldedByKilled.size}, its record said ${movedAtKill}; ` +
        `runner's total ${addDoneReport.moved}; dry run (${dryRunSeconds.toFixed(1)} s): ${plan.moving} of ` +
        `${plan.counters}, measured ${plan.measuredShare.toFixed(3)}, ring math ` +
        `${plan.expectedShare.toFixed(3)}); ` +
        `remove b (${removeStarted}–${removeFinished} s, load running ${loadBeforeRemove}/${loadAfterRemove}): ` +
        `${removeKillsDone.length} worker SIGKILLs (phases ${removeKillsDone.map((k) => k.phase).join(', ')}), ` +
        `moved ${removeDoneReport.moved} in ${removeDoneReport.seconds.toFixed(1)} s` +
        `${removeChange?.toMove == null ? '' : ` (record: ${removeChange.moved} of ${removeChange.toMove})`}; ` +
        `reader: ${reads.polls} polls of ${reads.counters} counters, ${reads.decreases} decreases, ` +
        `${reads.aboveSent} above sent, ${reads.errors} errors; ` +
        `${describeCheck(check)}; get --json wrong ${cliWrong.length}, reader wrong ${readerWrong.length}; ` +
        `left on b ${leftOnB.length} hashes, moved@ keys ${movedFlags.length}; phases ${watch.phaseLog(started)}`,
    );
    if (addChange !== undefined)
      console.log(`[ring-change e2e] add: last record ${JSON.stringify(progressOf(addChange))}`);

    expect(summary.confirmed).toBeGreaterThanOrEqual(MIN_INCREMENTS);
    expect(loadBeforeRemove, 'the load still ran when the remove started').toBe(true);
    expect(loadAfterRemove, 'the load still ran when the remove ended').toBe(true);
    expect(addKillsDuring).toBeGreaterThanOrEqual(MIN_ADD_KILLS);
    expect(counts.failed ?? 0).toBe(0);
    expect(check.mismatches, describeCheck(check)).toEqual([]);
    expect(check.unexpected).toEqual([]);
    expect(check.checked).toBe(COUNTERS + READ_COUNTERS);
    expect(cliWrong.slice(0, 10).map((n) => `${n}: ${cliValues[n]} ≠ ${expected.get(n)}`)).toEqual(
      [],
    );
    expect(
      readerWrong.slice(0, 10).map((n) => `${n}: ${finalReads.get(n)} ≠ ${expected.get(n)}`),
    ).toEqual([]);
    expect(reads.samples).toEqual([]);
    expect(reads.polls).toBeGreaterThan(100);
    expect(leftOnB).toEqual([]);
    expect(movedFlags).toEqual([]);
    expect(snapshotLeft).toBe(0);
    expect(Math.abs(measuredShare - expectedShare)).toBeLessThanOrEqual(SHARE_TOLERANCE);
  }, 420_000);
});

/** Polls `done` every 100 ms; throws with `state()` past `timeoutMs`. */
async function waitFor(done: () => boolean, timeoutMs: number, state: () => string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline)
      throw new Error(`not done within ${timeoutMs} ms: ${state()}`);
    await sleep(100);
  }
}

/** What `countd ring <change> --wait --json` and `ring resume --wait --json` print at the end. */
interface ChangeDone {
  readonly done: boolean;
  readonly moved: number;
  readonly seconds: number;
}

function describeExit(label: string, exit: CountdProcessExit): string {
  return `${label}: code ${exit.code}, signal ${exit.signal}\n${exit.stdout}\n${exit.stderr}`.slice(
    0,
    4000,
  );
}

function movedPattern(s: E2eStack): string {
  return s.layout.keys.movedInPattern();
}
