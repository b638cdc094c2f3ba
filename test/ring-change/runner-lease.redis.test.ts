import { describe, expect, it } from 'vitest';
import { RingChangeConflictError } from '../../src/errors/index.js';
import { RingChangeRunner, proposeRing, readRingState } from '../../src/ring-change/index.js';
import { useRedisServers } from '../support/redis-harness.js';
import { misplaced, seedFleet, type Fleet } from './ring-change-fixture.js';

describe('RingChangeRunner lease', () => {
  // 0: queue Redis, 1-4: nodes a, b, c, d.
  const redis = useRedisServers({ count: 5 });

  const runnerFor = (fleet: Fleet, extra: { waitForRunner?: boolean; leaseMs?: number } = {}) =>
    new RingChangeRunner({
      queue: fleet.queue,
      queueName: fleet.queueName,
      connect: (node) => fleet.connect(node),
      batchSize: 200,
      settlePollMs: 20,
      leaseMs: 300,
      ...extra,
    });
  const leaseKey = (fleet: Fleet) => fleet.keys.ringChangeRunner(fleet.queueName);

  it('a second runner on the same change waits for the first, naming it, then finds it done', async () => {
    const fleet = await seedFleet(redis, { counters: 3000 });
    const to = proposeRing(fleet.ring, { kind: 'add', node: fleet.node('d') });
    const first = runnerFor(fleet);
    const second = runnerFor(fleet);
    await first.begin('add', to);
    const waiting: string[] = [];
    second.on('waiting', (holder) => waiting.push(holder));
    const secondSteps: string[] = [];
    second.on('step', (s) => secondSteps.push(s.kind));
    let holder: string | null = null;
    first.once('phase', () => void fleet.queue.get(leaseKey(fleet)).then((h) => (holder = h)));
    const running = first.run();
    // Once the first holds the lease, the second comes.
    for (let i = 0; i < 100 && (await fleet.queue.exists(leaseKey(fleet))) === 0; i++)
      await new Promise((r) => setTimeout(r, 5));
    await Promise.all([running, second.run()]);
    expect(waiting).toHaveLength(1);
    expect(waiting[0]).toBe(holder);
    expect(waiting[0]).toMatch(new RegExp(`:${process.pid}:[0-9a-f]{8}$`));
    // The second did no step: the change was over when it got the lease.
    expect(secondSteps).toEqual([]);
    expect(await misplaced(fleet, to)).toEqual([]);
    expect(await fleet.queue.exists(leaseKey(fleet))).toBe(0);
  });

  it('with waitForRunner false, a held lease fails with runner-busy naming the holder', async () => {
    const fleet = await seedFleet(redis, { counters: 10 });
    const to = proposeRing(fleet.ring, { kind: 'add', node: fleet.node('d') });
    await fleet.queue.set(leaseKey(fleet), 'host-x:123:abcd', 'PX', 60_000);
    const runner = runnerFor(fleet, { waitForRunner: false });
    await runner.begin('add', to);
    const error = await runner.run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RingChangeConflictError);
    expect(error).toMatchObject({ reason: 'runner-busy', holder: 'host-x:123:abcd' });
    expect((error as Error).message).toContain('host-x:123:abcd');
    expect((await readRingState(fleet.queue, fleet.keys, fleet.queueName)).change?.phase).toBe(
      'fencing',
    );
  });

  it('a lease left by a killed runner expires, and a new run resumes the change', async () => {
    const fleet = await seedFleet(redis, { counters: 2000 });
    const to = proposeRing(fleet.ring, { kind: 'add', node: fleet.node('d') });
    const first = runnerFor(fleet);
    const abort = new AbortController();
    first.on('step', (s) => {
      if (s.kind === 'moved-out') abort.abort();
    });
    await first.begin('add', to);
    await expect(first.run(abort.signal)).rejects.toMatchObject({ name: 'AbortError' });
    // What SIGKILL leaves: the lease, no one renewing it.
    await fleet.queue.set(leaseKey(fleet), 'dead-host:1:00000000', 'PX', 300);
    const started = Date.now();
    await runnerFor(fleet).run();
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(await misplaced(fleet, to)).toEqual([]);
  });

  it('renews its lease while it runs (a run longer than the lease keeps it)', async () => {
    const fleet = await seedFleet(redis, { counters: 10 });
    const to = proposeRing(fleet.ring, { kind: 'add', node: fleet.node('d') });
    // A snapshot job that finishes late keeps the change settling past several lease lengths.
    const jobKey = `bull:${fleet.queueName}:job-1`;
    await fleet.queue.hset(jobKey, 'timestamp', Date.now(), 'processedOn', Date.now());
    await fleet.queue.lpush(`bull:${fleet.queueName}:active`, 'job-1');
    const runner = runnerFor(fleet, { leaseMs: 150 });
    await runner.begin('add', to);
    const holders = new Set<string | null>();
    let polls = 0;
    runner.on('step', (s) => {
      if (s.kind !== 'settle-poll') return;
      void fleet.queue.get(leaseKey(fleet)).then((h) => holders.add(h));
      if (++polls === 30) void fleet.queue.hset(jobKey, 'finishedOn', Date.now());
    });
    await runner.run();
    expect(polls).toBeGreaterThanOrEqual(30);
    expect(holders.size).toBe(1);
    expect([...holders][0]).not.toBeNull();
  });
});
