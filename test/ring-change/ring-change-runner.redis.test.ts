import { Worker } from 'bullmq';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ConfigError, RingChangeConflictError, StorageError } from '../../src/errors/index.js';
import {
  RingChangeRunner,
  proposeRing,
  type RingChangeProgress,
  type RingChangeRecord,
  type RingChangeStep,
  type RingRecord,
} from '../../src/ring-change/index.js';
import { layoutOf, readRingState } from '../../src/ring-change/index.js';
import { useRedisServers } from '../support/redis-harness.js';
import { misplaced, seedFleet, type Fleet } from './ring-change-fixture.js';

describe('RingChangeRunner', () => {
  // 0: queue Redis, 1-4: nodes a, b, c, d.
  const redis = useRedisServers({ count: 5 });

  const runnerFor = (fleet: Fleet, batchSize = 500) =>
    new RingChangeRunner({
      queue: fleet.queue,
      queueName: fleet.queueName,
      connect: (node) => fleet.connect(node),
      batchSize,
      settlePollMs: 20,
    });

  async function expectDone(fleet: Fleet, to: RingRecord): Promise<void> {
    expect(await misplaced(fleet, to)).toEqual([]);
    for (const node of to.nodes) {
      expect(await fleet.keysOn(node.id, 'moved@*')).toEqual([]);
      expect(await fleet.identity(node.id)).toMatch(new RegExp(`#${to.version}$`));
    }
    const state = await readRingState(fleet.queue, fleet.keys, fleet.queueName);
    expect(state.change).toBeUndefined();
    expect(state.ring?.fingerprint).toBe(to.fingerprint);
    expect(state.ring?.version).toBe(to.version);
    expect(await fleet.queue.exists(fleet.keys.ringChangeJobs(fleet.queueName))).toBe(0);
  }

  it('adds node d to 3 nodes of 20,000 counters: every counter once, at its new place, exact', async () => {
    const fleet = await seedFleet(redis, { counters: 20_000 });
    const to = proposeRing(fleet.ring, { kind: 'add', node: fleet.node('d') });
    const runner = runnerFor(fleet);
    const phases: string[] = [];
    const progress: RingChangeProgress[] = [];
    runner.on('phase', (p) => phases.push(p));
    runner.on('progress', (p) => progress.push(p));
    const epochBefore = Number(await fleet.queue.get(fleet.keys.ringEpoch(fleet.queueName)));
    const change = await runner.begin('add', to);
    expect(change.phase).toBe('fencing');
    await runner.run();
    expect(phases).toEqual(['fencing', 'moving', 'settling', 'cleanup', 'done']);
    await expectDone(fleet, to);
    // begin, moving, settling, cleanup, done: the epoch moved 5 times, progress saves did not.
    expect(Number(await fleet.queue.get(fleet.keys.ringEpoch(fleet.queueName)))).toBe(
      epochBefore + 5,
    );
    const last = progress.at(-1)!;
    expect(last.phase).toBe('done');
    expect(last.moved).toBe(last.toMove);
    // Ketama moves about a quarter to the new node.
    expect(last.moved / 20_000).toBeGreaterThan(0.15);
    expect(last.moved / 20_000).toBeLessThan(0.35);
    expect(await fleet.identity('d')).toMatch(/#2$/);
    expect(await fleet.queue.hget(fleet.keys.fleetNodes(fleet.queueName), 'd')).toBe(
      (await fleet.identity('d'))!.replace(/#2$/, ''),
    );
  });

  const stops: Array<[RingChangeStep['kind'], number]> = [
    ['joined', 4],
    ['fenced', 2],
    ['snapshot', 1],
    ['moved-in', 3],
    ['moved-out', 5],
    ['settle-poll', 1],
    ['cleaned', 2],
  ];
  for (const [kind, nth] of stops) {
    it(`stopped after ${kind} #${nth}, a new runner finishes the change exactly`, async () => {
      const fleet = await seedFleet(redis, { counters: 5000 });
      // A started job keeps the change settling until it finishes.
      const jobKey = `bull:${fleet.queueName}:job-1`;
      await fleet.queue.hset(jobKey, 'timestamp', Date.now(), 'processedOn', Date.now());
      await fleet.queue.lpush(`bull:${fleet.queueName}:active`, 'job-1');
      const to = proposeRing(fleet.ring, { kind: 'add', node: fleet.node('d') });
      const first = runnerFor(fleet, 200);
      const abort = new AbortController();
      let seen = 0;
      first.on('step', (step) => {
        if (step.kind === kind && ++seen === nth) abort.abort();
        if (step.kind === 'settle-poll' && kind !== 'settle-poll')
          void fleet.queue.hset(jobKey, 'finishedOn', Date.now());
      });
      await first.begin('add', to);
      await expect(first.run(abort.signal)).rejects.toMatchObject({ name: 'AbortError' });
      // Sources move in parallel: the others finish the step they are in before stopping.
      expect(seen).toBeGreaterThanOrEqual(nth);
      await fleet.queue.hset(jobKey, 'finishedOn', Date.now());
      const second = runnerFor(fleet, 200);
      // The same target resumes the change in progress.
      expect((await second.begin('add', to)).to.fingerprint).toBe(to.fingerprint);
      const progress: RingChangeProgress[] = [];
      second.on('progress', (p) => progress.push(p));
      await second.run();
      await expectDone(fleet, to);
      expect(progress.at(-1)?.moved).toBe(progress.at(-1)?.toMove);
    });
  }

  it('removes node b: b ends with no counter hash, the others hold everything exactly', async () => {
    const fleet = await seedFleet(redis, { counters: 6000 });
    const to = proposeRing(fleet.ring, { kind: 'remove', id: 'b' });
    const runner = runnerFor(fleet);
    await runner.begin('remove', to);
    await runner.run();
    await expectDone(fleet, to);
    expect(await fleet.keysOn('b', 't:*')).toEqual([]);
  });

  it('changes the layout 64 → 128 buckets: counters change hash on their node, exactly', async () => {
    const fleet = await seedFleet(redis, { counters: 6000, buckets: 64 });
    const to = proposeRing(fleet.ring, { kind: 'layout', buckets: 128 });
    const runner = runnerFor(fleet);
    await runner.begin('layout', to);
    await runner.run();
    await expectDone(fleet, to);
  });

  it('hashes too big for one HSCAN reply (1 bucket, hashtable encoding): exact', async () => {
    const fleet = await seedFleet(redis, { counters: 3000, buckets: 1 });
    expect(
      await fleet.connect({ id: 'a', weight: 1 }).object('ENCODING', `${fleet.prefix}:t:0`),
    ).toBe('hashtable');
    const to = proposeRing(fleet.ring, { kind: 'add', node: fleet.node('d') });
    const runner = runnerFor(fleet, 100);
    await runner.begin('add', to);
    await runner.run();
    await expectDone(fleet, to);
  });

  it('keeps to maxMoveRate: the moves of a change take at least moved / rate seconds', async () => {
    const fleet = await seedFleet(redis, { counters: 4000 });
    const to = proposeRing(fleet.ring, { kind: 'add', node: fleet.node('d') });
    const runner = new RingChangeRunner({
      queue: fleet.queue,
      queueName: fleet.queueName,
      connect: (node) => fleet.connect(node),
      batchSize: 100,
      settlePollMs: 20,
      maxMoveRate: 2000,
    });
    let moving = 0;
    let moved = 0;
    runner.on('phase', (p) => {
      if (p === 'moving') moving = performance.now();
      if (p === 'settling') moving = performance.now() - moving;
    });
    runner.on('progress', (p) => (moved = p.moved));
    await runner.begin('add', to);
    await runner.run();
    await expectDone(fleet, to);
    expect(moved).toBeGreaterThan(600);
    // The first batch goes at once; every later one waits for its share of the second.
    expect(moving).toBeGreaterThanOrEqual(((moved - 100) / 2000) * 1000);
  });

  it('reweights a node: exact', async () => {
    const fleet = await seedFleet(redis, { counters: 4000 });
    const to = proposeRing(fleet.ring, { kind: 'reweight', id: 'a', weight: 3 });
    const runner = runnerFor(fleet);
    await runner.begin('reweight', to);
    await runner.run();
    await expectDone(fleet, to);
  });

  it('refuses a second, different change while one is in progress, and a wrong version', async () => {
    const fleet = await seedFleet(redis, { counters: 10 });
    const add = proposeRing(fleet.ring, { kind: 'add', node: fleet.node('d') });
    const remove = proposeRing(fleet.ring, { kind: 'remove', id: 'c' });
    const runner = runnerFor(fleet);
    const started = await runner.begin('add', add);
    const refused = await runner.begin('remove', remove).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RingChangeConflictError);
    expect(refused).toMatchObject({ reason: 'in-progress' });
    expect((refused as RingChangeConflictError).change?.to.fingerprint).toBe(
      started.to.fingerprint,
    );
    await runner.run();
    // `remove` was proposed from version 1: version 2 is current now.
    await expect(runner.begin('remove', remove)).rejects.toBeInstanceOf(ConfigError);
  });

  it("refuses with 'old-workers' while the queue has more BullMQ workers than live countd workers", async () => {
    const fleet = await seedFleet(redis, { counters: 10 });
    const server = redis.server(0);
    const worker = new Worker(fleet.queueName, async () => undefined, {
      connection: { host: server.host, port: server.port },
    });
    onTestFinished(() => worker.close());
    await worker.waitUntilReady();
    const to = proposeRing(fleet.ring, { kind: 'add', node: fleet.node('d') });
    const runner = runnerFor(fleet);
    const refused = await runner.begin('add', to).catch((e: unknown) => e);
    expect(refused).toMatchObject({ reason: 'old-workers' });
    const { bullWorkers } = refused as RingChangeConflictError;
    // One BullMQ Worker names one connection for the queue (its blocking one is unnamed).
    expect(bullWorkers).toBe(1);
    const workers = fleet.keys.fleetWorkers(fleet.queueName);
    // A stale entry vouches for nobody.
    await fleet.queue.hset(
      workers,
      'old',
      JSON.stringify({ version: 1, pid: 1, host: 'h', at: Date.now() - 60_000 }),
    );
    await expect(runner.begin('add', to)).rejects.toMatchObject({ reason: 'old-workers' });
    for (let i = 0; i < bullWorkers!; i++)
      await fleet.queue.hset(
        workers,
        `w${i}`,
        JSON.stringify({ version: 1, pid: i, host: 'h', at: Date.now() }),
      );
    const change: RingChangeRecord = await runner.begin('add', to);
    expect(change.phase).toBe('fencing');
  });

  it('refuses to fence a node whose identity changed, writing nothing', async () => {
    const fleet = await seedFleet(redis, { counters: 100 });
    await fleet.connect({ id: 'b', weight: 1 }).set(fleet.keys.nodeIdentity(), 'someone-else');
    const to = proposeRing(fleet.ring, { kind: 'add', node: fleet.node('d') });
    const runner = runnerFor(fleet);
    await runner.begin('add', to);
    await expect(runner.run()).rejects.toMatchObject({ name: 'NodeIdentityError', node: 'b' });
    expect(await fleet.identity('b')).toBe('someone-else');
    expect((await readRingState(fleet.queue, fleet.keys, fleet.queueName)).change?.phase).toBe(
      'fencing',
    );
  });

  it('stops with fence-violated when an old location changed after the fence, deleting nothing', async () => {
    const fleet = await seedFleet(redis, { counters: 2000 });
    const to = proposeRing(fleet.ring, { kind: 'add', node: fleet.node('d') });
    const runner = runnerFor(fleet, 50);
    const from = layoutOf(fleet.ring);
    const target = layoutOf(to);
    // In bucket 0, so in the first batch its node moves.
    const name = [...fleet.expected.keys()].find(
      (n) => target.locate(n).node === 'd' && from.bucketOf(n) === 0,
    )!;
    const at = from.locate(name);
    let wrote = false;
    // A writer that ignores the fence changes it between its move-in and its move-out (the
    // runner's client for that node: the write is ordered before the move-out).
    runner.on('step', (step) => {
      if (step.kind !== 'moved-in' || step.node !== at.node || wrote) return;
      wrote = true;
      void fleet.connect({ id: at.node, weight: 1 }).hincrby(at.key, at.field, 1);
    });
    await runner.begin('add', to);
    const error = await runner.run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RingChangeConflictError);
    expect(error).toMatchObject({ reason: 'fence-violated', counter: name, node: at.node });
    expect(await fleet.connect({ id: at.node, weight: 1 }).hget(at.key, at.field)).toBe(
      (fleet.expected.get(name)! + 1n).toString(),
    );
  });
});

describe('RingChangeRunner, a fold out of the int64 range', () => {
  const redis = useRedisServers({ count: 5 });

  it('stops the change writing nothing of the batch; a reset counter lets it finish', async () => {
    // One source node, one batch: nothing of it may be folded when one field cannot be.
    const fleet = await seedFleet(redis, { nodes: ['a'], counters: 400 });
    const to = proposeRing(fleet.ring, { kind: 'add', node: fleet.node('d') });
    const target = layoutOf(to);
    const name = [...fleet.expected.keys()].find(
      (n) => target.locate(n).node === 'd' && fleet.expected.get(n)! > 0n,
    )!;
    const at = target.locate(name);
    const d = fleet.connect({ id: 'd', weight: 1 });
    const runner = new RingChangeRunner({
      queue: fleet.queue,
      queueName: fleet.queueName,
      connect: (node) => fleet.connect(node),
      batchSize: 10_000,
    });
    // Once d is fenced, a worker under version 2 takes the counter to the top (on the runner's
    // client for d: the write is ordered before the move-in).
    runner.on('step', (step) => {
      if (step.kind === 'snapshot') void d.hset(at.key, at.field, '9223372036854775807');
    });
    await runner.begin('add', to);
    const error = await runner.run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toContain(`"${name}"`);
    expect((error as Error).message).toMatch(/int64/);
    expect(await fleet.keysOn('d', 'moved@*')).toEqual([]);
    expect(await d.hlen(at.key)).toBe(1);
    // `countd reset` during a change writes the new location and its flag, then drops the old.
    const old = layoutOf(fleet.ring).locate(name);
    await d
      .multi()
      .hset(at.key, at.field, '0')
      .hset(fleet.keys.movedIn(2, target.bucketOf(name)), at.field, '1')
      .exec();
    await fleet.connect({ id: 'a', weight: 1 }).hdel(old.key, old.field);
    (fleet.expected as Map<string, bigint>).set(name, 0n);
    await runner.run();
    expect(await misplaced(fleet, to)).toEqual([]);
  });
});
