import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { RingMismatchError } from '../../src/errors/index.js';
import { CounterWorker } from '../../src/worker/index.js';
import { uniquePrefix, useRedisServers } from '../support/redis-harness.js';
import { NODE_IDS, counterValue, payload, useStacks, waitFor } from './worker-fixture.js';

describe('CounterWorker', () => {
  // AOF: a node stopped and restarted keeps its counters.
  const redis = useRedisServers({ count: 4, appendonly: true });
  const prefix = uniquePrefix('counter-worker');
  const stack = useStacks(redis, prefix);

  describe('flush triggers', () => {
    it('flushes on the interval: a held increment becomes visible after about one interval, not before', async () => {
      const s = stack();
      const [name] = s.namesOn('a', 1, 'interval');
      const { worker } = s.worker({ flushIntervalMs: 1000, concurrency: 100 });
      await worker.start();
      const started = Date.now();
      await s.add(payload([[name!, 3]]), 'interval-1');
      await waitFor('the job to be held', () => worker.held === 1);
      let seenAt: number | undefined;
      while (Date.now() - started < 4000) {
        if ((await s.read(name!)) === '3') {
          seenAt = Date.now() - started;
          break;
        }
        await sleep(20);
      }
      expect(seenAt).toBeDefined();
      expect(seenAt!).toBeGreaterThanOrEqual(900);
      expect(seenAt!).toBeLessThan(2500);
      await waitFor('the job to complete', async () => {
        return (await s.queue.getJobState('interval-1')) === 'completed';
      });
      expect(worker.held).toBe(0);
    });

    it('flushes when maxBufferCounters is reached, long before the interval', async () => {
      const s = stack();
      const names = s.namesOn('b', 6, 'size');
      const { worker, metrics } = s.worker({
        flushIntervalMs: 60_000,
        maxBufferCounters: 5,
        concurrency: 100,
      });
      await worker.start();
      await s.add(payload(names.slice(0, 3).map((n) => [n, 1])), 'size-1');
      await waitFor('the first job to be held', () => worker.held === 1);
      await sleep(300);
      // 3 counters < 5: nothing flushed yet.
      expect(await s.read(names[0]!)).toBeNull();
      const before = Date.now();
      await s.add(payload(names.slice(3).map((n) => [n, 2])), 'size-2');
      await waitFor('the 6 counters to be stored', async () => {
        const values = await Promise.all(names.map((n) => s.read(n)));
        return values.join() === '1,1,1,2,2,2';
      });
      expect(Date.now() - before).toBeLessThan(5000);
      await waitFor('both jobs to complete', () => worker.held === 0);
      expect(await counterValue(metrics.incrementsFlushed)).toBe(6);
    });
  });

  describe('from a config', () => {
    it('CounterWorker.fromConfig takes queue, nodes, ring and layout from the config; options add the rest', async () => {
      const s = stack();
      const url = (server: { host: string; port: number }) =>
        `redis://${server.host}:${server.port}`;
      const config = parseConfig({
        COUNTD_QUEUE_URL: url(redis.server(0)),
        COUNTD_QUEUE_NAME: s.queueName,
        COUNTD_NODES: NODE_IDS.map((id) => `${id}=${url(s.server(id))}`).join(','),
        COUNTD_PREFIX: s.prefix,
        COUNTD_BUCKETS: String(s.layout.buckets),
        COUNTD_FLUSH_INTERVAL_MS: '50',
      });
      const worker = CounterWorker.fromConfig(config, { retryMaxMs: 200 });
      expect(worker.options).toMatchObject({ flushIntervalMs: 50, retryMaxMs: 200 });
      try {
        await worker.start();
        const [name] = s.namesOn('c', 1, 'config');
        await s.add(payload([[name!, 7]]), 'config-1');
        // The config's ring places the counter where the stack's layout reads it.
        await waitFor('the increment to be stored', async () => (await s.read(name!)) === '7');
      } finally {
        await worker.close(5000);
      }
    });
  });

  describe('close()', () => {
    it('drains: flushes what is held, completes those jobs, and resolves true; a second call returns the same promise', async () => {
      const s = stack();
      const names = NODE_IDS.flatMap((id) => s.namesOn(id, 2, 'drain'));
      const { worker, metrics } = s.worker({ flushIntervalMs: 60_000, concurrency: 100 });
      await worker.start();
      for (let j = 0; j < 10; j++) await s.add(payload(names.map((n) => [n, j + 1])), `drain-${j}`);
      await waitFor('the 10 jobs to be held', () => worker.held === 10);
      expect((await s.queue.getJobCounts('active')).active).toBe(10);
      for (const name of names) expect(await s.read(name)).toBeNull();

      const closing = worker.close();
      expect(worker.close()).toBe(closing);
      expect(worker.close(1)).toBe(closing);
      expect(await closing).toBe(true);

      expect(worker.held).toBe(0);
      const counts = await s.queue.getJobCounts('active', 'waiting', 'completed', 'failed');
      expect(counts).toEqual({ active: 0, waiting: 0, completed: 10, failed: 0 });
      for (const name of names) expect(await s.read(name)).toBe('55');
      expect(await counterValue(metrics.incrementsFlushed)).toBe(60);
      expect(await worker.ready()).toBe(false);
    });

    it('gives up at its deadline when a node is down, resolving false and leaving the job uncompleted', async () => {
      const s = stack();
      const [name] = s.namesOn('c', 1, 'deadline');
      const { worker } = s.worker({ flushIntervalMs: 50, retryMaxMs: 100 });
      await worker.start();
      const c = s.server('c');
      await c.stop();
      try {
        await s.add(payload([[name!, 1]]), 'deadline-1');
        await waitFor('the job to be held', () => worker.held === 1);
        const before = Date.now();
        expect(await worker.close(500)).toBe(false);
        expect(Date.now() - before).toBeLessThan(3000);
        expect(await s.queue.getJobState('deadline-1')).toBe('active');
      } finally {
        await c.restart();
      }
      expect(await s.read(name!)).toBeNull();
    });
  });

  describe('fleet safety', () => {
    it('starts a second worker with the same ring', async () => {
      const s = stack();
      const first = s.worker();
      await first.worker.start();
      const same = stack({ queueName: s.queueName, prefix: s.prefix });
      const second = same.worker();
      await expect(second.worker.start()).resolves.toBeUndefined();
    });

    it.each([
      ['a node weight', { weights: { c: 2 } }, 'node "c" weight 1 → 2'],
      ['the bucket count', { buckets: 128 }, 'buckets 64 → 128'],
      ['the key prefix', { prefix: 'other-prefix' }, 'prefix'],
    ] as const)(
      'refuses to start a worker whose ring differs in %s, saying what differs',
      async (_label, change, difference) => {
        const s = stack();
        const first = s.worker();
        await first.worker.start();
        const other = stack({ queueName: s.queueName, prefix: s.prefix, ...change });
        const second = other.worker();
        const error = await second.worker.start().then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(error).toBeInstanceOf(RingMismatchError);
        const mismatch = error as RingMismatchError;
        expect(mismatch.message).toContain(difference);
        expect(mismatch.differences.join('; ')).toContain(difference);
        expect(mismatch.message).toMatch(/Every worker of a fleet must use the same/);
        expect(mismatch.expected).not.toBe(mismatch.actual);

        // The first worker's ring stays registered and in use.
        const [name] = s.namesOn('a', 1, 'fleet');
        await s.add(payload([[name!, 4]]), 'fleet-1');
        await waitFor('the first worker to apply', async () => (await s.read(name!)) === '4');
      },
    );
  });

  it('keeps jobs held while a storage node is down, retries, and stores exact totals once it is back', async () => {
    const s = stack();
    const names = NODE_IDS.flatMap((id) => s.namesOn(id, 3, 'outage'));
    const { worker, metrics } = s.worker({ flushIntervalMs: 50, retryMinMs: 20, retryMaxMs: 150 });
    await worker.start();
    const b = s.server('b');
    const expected = new Map<string, number>();
    const send = async (from: number, to: number) => {
      for (let j = from; j < to; j++) {
        const pairs = names.map((n, k): [string, number] => [n, (j % 5) - 2 + k]);
        for (const [n, d] of pairs) expected.set(n, (expected.get(n) ?? 0) + d);
        await s.add(payload(pairs), `outage-${j}`);
      }
    };
    await send(0, 5);
    await waitFor('the first jobs to complete', async () => {
      return (await s.queue.getJobCounts('completed')).completed === 5;
    });
    await b.stop();
    try {
      await send(5, 25);
      await waitFor('the outage jobs to be held', () => worker.held === 20);
      await waitFor('several failed flushes of b', async () => {
        return (await counterValue(metrics.flushErrors, { node: 'b' })) >= 3;
      });
      // Nodes a and c kept being written meanwhile, while every job stays held for b.
      const notOnB = names.filter((n) => s.ring.locate(n) !== 'b');
      await waitFor('a and c to hold every increment', async () => {
        const values = await Promise.all(notOnB.map((n) => s.read(n)));
        return values.every((v, i) => v === String(expected.get(notOnB[i]!)));
      });
      expect(worker.held).toBe(20);
      expect((await s.queue.getJobCounts('completed')).completed).toBe(5);
    } finally {
      await b.restart();
    }
    await waitFor(
      'every job to complete',
      async () => {
        return (await s.queue.getJobCounts('completed')).completed === 25;
      },
      20_000,
    );
    expect(worker.held).toBe(0);
    for (const [name, total] of expected) expect(await s.read(name), name).toBe(String(total));
    expect(
      await counterValue(metrics.flushErrors, { node: 'b', reason: 'connection' }),
    ).toBeGreaterThan(0);
    expect(await counterValue(metrics.flushErrors, { node: 'a' })).toBe(0);
    expect(await counterValue(metrics.jobsFailed)).toBe(0);
  });
});
