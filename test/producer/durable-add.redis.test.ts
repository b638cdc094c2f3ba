import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueUnavailableError, ReplicasShortError } from '../../src/errors/index.js';
import { PAYLOAD_VERSION, type JobDataV1 } from '../../src/jobs/index.js';
import { addDurably } from '../../src/producer/index.js';
import { useRedisServers } from '../support/redis-harness.js';

// Every writer of jobs (the Producer and the gateway's one-job HTTP requests) adds through
// addDurably: with minReplicas it confirms only what WAIT says replicas have.
describe('addDurably', () => {
  // 0: the queue Redis, 1: its replica once attached.
  const redis = useRedisServers({ count: 2 });
  const queues: Queue[] = [];
  const payload: JobDataV1 = { v: PAYLOAD_VERSION, t: Date.now(), c: [['durable:a', 1]], n: 1 };
  const job = (jobId: string) => ({
    jobId,
    payload,
    removeOnComplete: true as const,
    keepFailedJobs: 10,
    increments: 1,
  });
  const newQueue = () => {
    const server = redis.server(0);
    const queue = new Queue(`durable-${randomBytes(3).toString('hex')}`, {
      connection: { host: server.host, port: server.port },
    });
    queues.push(queue);
    return queue;
  };
  const options = { attemptTimeoutMs: 500, deadlineMs: 1500, replicaWaitMs: 100 };

  beforeAll(async () => {
    await redis.server(1).client().call('REPLICAOF', 'NO', 'ONE');
  });
  afterAll(async () => {
    await redis.server(1).client().call('REPLICAOF', 'NO', 'ONE');
    await Promise.all(queues.map((q) => q.close()));
  });

  it('without a replica: refused as not durable (ReplicasShortError), never confirmed', async () => {
    const queue = newQueue();
    const error = await addDurably(queue, job('short-1'), { ...options, minReplicas: 1 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(QueueUnavailableError);
    expect((error as QueueUnavailableError).cause).toBeInstanceOf(ReplicasShortError);
    // The job is on the primary once (the retries share its id), just not confirmed.
    expect(await queue.getJobCountByTypes('waiting')).toBe(1);
  });

  it('with a replica in sync: confirmed once WAIT counts it; minReplicas 0 never waits', async () => {
    const primary = redis.server(0);
    await redis.server(1).client().call('REPLICAOF', primary.host, String(primary.port));
    for (let i = 0; i < 100; i++) {
      if (/state=online/.test(await primary.client().info('replication'))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const queue = newQueue();
    await addDurably(queue, job('ok-1'), { ...options, minReplicas: 1 });
    await addDurably(queue, job('ok-2'), { ...options, minReplicas: 0 });
    expect(await queue.getJobCountByTypes('waiting')).toBe(2);
  });
});
