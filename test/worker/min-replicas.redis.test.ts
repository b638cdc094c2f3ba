import { beforeAll, describe, expect, it } from 'vitest';
import { Producer } from '../../src/producer/index.js';
import { QueueUnavailableError } from '../../src/errors/index.js';
import { uniquePrefix, useRedisServers } from '../support/redis-harness.js';
import type { TestRedisServer } from '../support/redis-harness.js';
import { counterValue, payload, useStacks, waitFor } from './worker-fixture.js';

// Issue 12: with COUNTD_MIN_REPLICAS, a flush is durable (its jobs complete) only once WAIT says
// that many replicas have it; short of them the jobs stay held and the apply is retried, which
// the markers make a duplicate that applies nothing (and is waited for again).
describe('COUNTD_MIN_REPLICAS: WAIT after the apply', () => {
  // 0: queue, 1-3: nodes a, b, c; 4-6: replicas of a, b, c; 7: replica of the queue.
  const redis = useRedisServers({ count: 8 });
  const suite = uniquePrefix('minrep');
  const stack = useStacks(redis, suite);

  const replicaOf = (replica: TestRedisServer, primary: TestRedisServer) =>
    replica.client().call('REPLICAOF', primary.host, String(primary.port));
  const inSync = async (primary: TestRedisServer, replicas: number) => {
    await waitFor('replicas online', async () => {
      const info = await primary.client().info('replication');
      return (info.match(/state=online/g) ?? []).length >= replicas;
    });
  };

  beforeAll(async () => {
    for (let n = 1; n <= 3; n++) await replicaOf(redis.server(n + 3), redis.server(n));
    await replicaOf(redis.server(7), redis.server(0));
    for (const n of [0, 1, 2, 3]) await inSync(redis.server(n), 1);
  });

  it('held while the node has no replica, completed exactly once it has one again', async () => {
    const s = stack();
    const [onA] = s.namesOn('a', 1, 'held');
    const [onB] = s.namesOn('b', 1, 'held');
    const { worker, metrics } = s.worker({ minReplicas: 1, replicaWaitMs: 100 });
    await worker.start();

    const replicaOfB = redis.server(5);
    await replicaOfB.client().call('REPLICAOF', 'NO', 'ONE');
    await waitFor('b without replicas', async () =>
      /connected_slaves:0/.test(await redis.server(2).client().info('replication')),
    );
    await s.add(
      payload([
        [onA!, 3],
        [onB!, 7],
      ]),
      'held-1',
    );
    await waitFor('noreplicas errors on b', async () => {
      return (await counterValue(metrics.flushErrors, { node: 'b', reason: 'noreplicas' })) >= 3;
    });
    // Applied on b's primary (not durable), durable on a; the job waits for b.
    expect(await s.read(onB!)).toBe('7');
    expect(await s.read(onA!)).toBe('3');
    expect(await s.queue.getJobState('held-1')).toBe('active');
    expect(worker.held).toBe(1);
    const short = await metrics.registry.getSingleMetricAsString('countd_node_replicas_short');
    expect(short).toMatch(/countd_node_replicas_short\{node="b"\} 1/);
    expect(short).toMatch(/countd_node_replicas_short\{node="a"\} 0/);

    await replicaOf(replicaOfB, redis.server(2));
    await waitFor(
      'held-1 completed',
      async () => (await s.queue.getJobState('held-1')) === 'completed',
    );
    expect(await s.read(onB!)).toBe('7');
    expect(await s.read(onA!)).toBe('3');
    // The retries found b's part applied and only waited again.
    expect(await counterValue(metrics.duplicatePartsSkipped, { node: 'b' })).toBeGreaterThan(0);
    expect(await replicaOfB.client().hget(s.layout.locate(onB!).key, onB!)).toBe('7');
    const role = await metrics.registry.getSingleMetricAsString('countd_node_role');
    expect(role).toMatch(/countd_node_role\{node="b",role="primary"\} 1/);
    const wait = await metrics.registry.getSingleMetricAsString('countd_replica_ack_wait_seconds');
    expect(wait).toMatch(/countd_replica_ack_wait_seconds_count\{node="b"\} [1-9]/);
  }, 30_000);

  it('with 0 the primary alone makes a flush durable (no replica needed)', async () => {
    const s = stack();
    const [onC] = s.namesOn('c', 1, 'zero');
    const replicaOfC = redis.server(6);
    await replicaOfC.client().call('REPLICAOF', 'NO', 'ONE');
    try {
      const { worker } = s.worker({ minReplicas: 0 });
      await worker.start();
      await s.add(payload([[onC!, 4]]), 'zero-1');
      await waitFor(
        'zero-1 completed',
        async () => (await s.queue.getJobState('zero-1')) === 'completed',
      );
      expect(await s.read(onC!)).toBe('4');
    } finally {
      await replicaOf(replicaOfC, redis.server(3));
    }
  }, 30_000);

  it('a producer confirms only once the queue Redis replica has the job', async () => {
    const s = stack();
    const queue = redis.server(0);
    const connection = { host: queue.host, port: queue.port };
    const confirmed = new Producer({ queue: connection, queueName: s.queueName, minReplicas: 1 });
    await confirmed.increment('p:ok', 2);
    await confirmed.close();

    const replica = redis.server(7);
    await replica.client().call('REPLICAOF', 'NO', 'ONE');
    const short = new Producer({
      queue: connection,
      queueName: s.queueName,
      minReplicas: 1,
      replicaWaitMs: 50,
      deadlineMs: 600,
    });
    try {
      const err = await short.increment('p:short', 1).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(QueueUnavailableError);
      expect(String((err as Error).message)).toMatch(
        /0 of 1 required replica\(s\) acknowledged within 50 ms \(COUNTD_MIN_REPLICAS\)/,
      );
    } finally {
      await short.close().catch(() => undefined);
      await replicaOf(replica, queue);
      await inSync(queue, 1);
    }
  }, 30_000);
});
