import { afterEach, describe, expect, it } from 'vitest';
import { NodeIdentityError } from '../../src/errors/index.js';
import { Producer } from '../../src/producer/index.js';
import { uniquePrefix, useRedisServers } from '../support/redis-harness.js';
import { payload, useStacks, waitFor } from './worker-fixture.js';

// Defect 2 of the exactly-once review: markers named by job id alone. Two queues writing the
// same nodes and prefix, or ids that repeat (BullMQ's numbering after an obliterate, a producer
// id reused), made a job pass for one already applied: completed, nothing counted, nothing said.
describe('markers identify a job, whatever made its id', () => {
  const redis = useRedisServers({ count: 4 });
  const prefix = uniquePrefix('shared');
  const stack = useStacks(redis, prefix);
  const producers: Producer[] = [];

  afterEach(async () => {
    await Promise.allSettled(producers.splice(0).map((p) => p.close()));
  });

  it('a second fleet (another queue) on the same nodes and prefix is refused loudly at start', async () => {
    const first = stack();
    const second = stack({ prefix: first.prefix });
    const names = first.namesOn('a', 3, 'two-queues');
    const one = first.worker();
    await one.worker.start();
    const other = second.worker();
    const refused = await other.worker.start().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(NodeIdentityError);
    expect((refused as NodeIdentityError).problem).toBe('foreign');
    expect((refused as NodeIdentityError).message).toMatch(/another fleet.*COUNTD_PREFIX/);
    // Both queues get the same job ids; the first fleet counts its own exactly.
    for (let i = 1; i <= 3; i++) {
      await first.add(payload(names.map((n) => [n, 1])), `job-${i}`, true);
      await second.add(payload(names.map((n) => [n, 100])), `job-${i}`, true);
    }
    await waitFor('the first fleet to apply its three jobs', async () =>
      (await Promise.all(names.map((n) => first.read(n)))).every((v) => v === '3'),
    );
    await waitFor('the first fleet to drain', async () => {
      const c = await first.queue.getJobCounts('waiting', 'active');
      return c.waiting === 0 && c.active === 0;
    });
    for (const n of names) expect(await first.read(n)).toBe('3');
    // The refused fleet's jobs wait in its queue: nothing lost, nothing written.
    expect((await second.queue.getJobCounts('waiting')).waiting).toBe(3);
    console.log(
      `[shared nodes] second queue on the same nodes and prefix: refused at start (${(refused as Error).message.slice(0, 90)}…); first fleet exact`,
    );
  });

  it('two fleets with their own prefixes share the servers and both count exactly', async () => {
    const first = stack();
    const second = stack();
    const names = first.namesOn('b', 4, 'own-prefix');
    await first.worker().worker.start();
    await second.worker().worker.start();
    for (let i = 1; i <= 5; i++) {
      await first.add(payload(names.map((n) => [n, 1])), `same-${i}`, true);
      await second.add(payload(names.map((n) => [n, 10])), `same-${i}`, true);
    }
    const readBoth = async () => {
      const a = await Promise.all(names.map((n) => first.read(n)));
      const b = await Promise.all(names.map((n) => second.read(n)));
      return [a, b];
    };
    await waitFor('both fleets', async () => {
      const [a, b] = await readBoth();
      return a!.every((v) => v === '5') && b!.every((v) => v === '50');
    });
  });

  it('BullMQ-numbered jobs: an id numbered again after the queue was obliterated is counted', async () => {
    const s = stack();
    const names = s.namesOn('c', 2, 'numbered');
    const { worker } = s.worker({ flushIntervalMs: 50 });
    await worker.start();
    const batch = payload(names.map((n) => [n, 7]));
    const first = await s.add(batch, undefined, true);
    await waitFor('job 1 applied', async () => (await s.read(names[0]!)) === '7');
    await waitFor('job 1 gone', async () => (await s.queue.getJobState(first.id!)) === 'unknown');
    await worker.close(2000);
    // Obliterate restarts BullMQ's numbering: the same id, the very same payload, a new job.
    await s.queue.obliterate({ force: true });
    const again = await s.add(batch, undefined, true);
    expect(again.id).toBe(first.id);
    await s.worker({ flushIntervalMs: 50 }).worker.start();
    // Before the fix: job 1's marker (grace 300 s) made this copy "already applied": lost.
    await waitFor('the second job 1 applied', async () => (await s.read(names[0]!)) === '14');
    for (const n of names) expect(await s.read(n)).toBe('14');
  });

  it('a producer id reused after a restart: its jobs repeat ids but not batches, all counted', async () => {
    const s = stack();
    const [name] = s.namesOn('a', 1, 'reused');
    await s.worker({ flushIntervalMs: 50 }).worker.start();
    const queueServer = redis.server(0);
    for (let run = 1; run <= 3; run++) {
      const producer = new Producer({
        queue: { host: queueServer.host, port: queueServer.port },
        queueName: s.queueName,
        producerId: 'web',
        lingerMs: 0,
      });
      producers.push(producer);
      await producer.increment(name!, run);
      await producer.close();
      await waitFor(`web-1 of run ${run} to complete`, async () => {
        const c = await s.queue.getJobCounts('waiting', 'active');
        return c.waiting === 0 && c.active === 0;
      });
    }
    // Each run sent job web-1: 1 + 2 + 3.
    await waitFor('all three runs counted', async () => (await s.read(name!)) === '6');
  });
});
