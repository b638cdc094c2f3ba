import { Queue } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { uniquePrefix, useRedisServers } from '../../../support/redis-harness.js';
import { runCli } from './run-cli.js';

// Issue 10, point 7: names and deltas that start with '-' reach the queue exactly as given.
describe('countd incr with dashes', () => {
  const redis = useRedisServers({ count: 1 });
  const queueName = uniquePrefix('incr-dash').replace(/:/g, '.');
  let queue: Queue | undefined;
  afterAll(async () => {
    await queue?.obliterate({ force: true });
    await queue?.close();
  });

  it('queues a counter named -5 given after --, with a negative delta', async () => {
    const env = { COUNTD_QUEUE_URL: redis.server(0).url, COUNTD_QUEUE_NAME: queueName };
    const run = await runCli(['incr', '--', '-5', '-3'], { env });
    expect(run).toEqual({ code: 0, stdout: '-5\t-3\tqueued\n', stderr: '' });
    const refused = await runCli(['incr', '-5', '-3'], { env });
    expect(refused.code).toBe(2);

    queue = new Queue(queueName, {
      connection: { host: redis.server(0).host, port: redis.server(0).port },
    });
    const jobs = await queue.getJobs(['waiting']);
    expect(jobs.map((job) => (job.data as { c: unknown }).c)).toEqual([[['-5', -3]]]);
  });
});
