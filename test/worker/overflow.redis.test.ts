import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { uniquePrefix, useRedisServers } from '../support/redis-harness.js';
import { counterValue, payload, useStacks, waitFor } from './worker-fixture.js';

const INT64_MAX = 9223372036854775807n;

interface Obstacle {
  readonly label: string;
  /** Puts something in the counter's way on its node. */
  readonly plant: (client: Redis, key: string, field: string) => Promise<unknown>;
  /** What the refusal must say. */
  readonly error: RegExp;
  /** The stored state to find unchanged afterwards. */
  readonly check: (client: Redis, key: string, field: string) => Promise<unknown>;
  readonly expected: unknown;
}

const OBSTACLES: readonly Obstacle[] = [
  {
    label: 'a value near int64 max (+100 would overflow)',
    plant: (c, key, field) => c.hset(key, field, (INT64_MAX - 7n).toString()),
    error: /overflow/i,
    check: (c, key, field) => c.hget(key, field),
    expected: (INT64_MAX - 7n).toString(),
  },
  {
    label: 'a field holding a non-integer string',
    plant: (c, key, field) => c.hset(key, field, 'twelve'),
    error: /not an integer/i,
    check: (c, key, field) => c.hget(key, field),
    expected: 'twelve',
  },
  {
    label: 'a bucket key of the wrong type (a string in place of the hash)',
    plant: (c, key) => c.set(key, 'not a hash'),
    error: /WRONGTYPE/,
    check: async (c, key) => [await c.type(key), await c.get(key)],
    expected: ['string', 'not a hash'],
  },
];

describe('counters a node refuses', () => {
  const redis = useRedisServers({ count: 4 });
  const prefix = uniquePrefix('overflow');
  const stack = useStacks(redis, prefix);

  it.each(OBSTACLES.map((o) => [o.label, o] as const))(
    '%s: that counter is refused and unchanged, the rest of its job and group is applied',
    async (_label, obstacle) => {
      const s = stack();
      const onA = s.namesOn('a', 40, 'refuse');
      const victim = onA[0]!;
      const where = s.layout.locate(victim);
      expect(where.node).toBe('a');
      // Others on node a in other buckets (the wrong-type case blocks the victim's whole bucket).
      const [other1, other2] = onA.filter(
        (n) => s.layout.bucketOf(n) !== s.layout.bucketOf(victim),
      );
      const [onB] = s.namesOn('b', 1, 'refuse-b');
      const client = s.server('a').client();
      await obstacle.plant(client, where.key, where.field);

      const { worker, metrics } = s.worker({ flushIntervalMs: 300 });
      const flushedOnA: number[] = [];
      worker.on('flushed', (e) => {
        if (e.node === 'a') flushedOnA.push(e.jobs);
      });
      const refused: Array<{
        node: string;
        counter: string;
        error: string;
        jobs: readonly string[];
      }> = [];
      const failed: Array<{ jobId: string; reason: string }> = [];
      worker.on('refused', (e) => refused.push(e));
      worker.on('jobFailed', (e) => failed.push(e));
      // Both jobs are waiting before the worker starts, so they share node a's flush group.
      await s.add(
        payload([
          [other1!, 5],
          [victim, 100],
          [other2!, 6],
          [onB!, 7],
        ]),
        'hit-1',
      );
      await s.add(payload([[other1!, 1]]), 'bystander-1');
      await worker.start();

      await waitFor('both jobs to finish', async () => {
        const counts = await s.queue.getJobCounts('completed', 'failed');
        return counts.completed === 1 && counts.failed === 1;
      });
      expect(await s.queue.getJobState('bystander-1')).toBe('completed');
      const job = await s.queue.getJob('hit-1');
      expect(await job?.getState()).toBe('failed');
      const reason = job?.failedReason ?? '';
      expect(reason).toContain('counters refused, the others were applied');
      expect(reason).toContain(`1 increment not applied: ${victim} +100 on node a: `);
      expect(reason).toMatch(obstacle.error);
      expect(reason).toContain(`(hash ${where.key})`);

      expect(await obstacle.check(client, where.key, where.field)).toEqual(obstacle.expected);
      expect(await s.read(other1!)).toBe('6');
      expect(await s.read(other2!)).toBe('6');
      expect(await s.read(onB!)).toBe('7');

      // One group on node a held both jobs: the refusal stayed with the job that had the counter.
      expect(flushedOnA).toEqual([2]);
      expect(refused).toHaveLength(1);
      expect(refused[0]).toMatchObject({ node: 'a', counter: victim, jobs: ['hit-1'] });
      expect(refused[0]?.error).toMatch(obstacle.error);
      expect(failed).toEqual([{ jobId: 'hit-1', reason }]);
      expect(await counterValue(metrics.jobsFailed, { reason: 'refused' })).toBe(1);
      expect(await counterValue(metrics.jobsFailed, { reason: 'malformed' })).toBe(0);
      // The refused pair is not counted as flushed; the job's three others and the bystander are.
      expect(await counterValue(metrics.incrementsFlushed)).toBe(4);
      expect(worker.held).toBe(0);

      // The job records exactly what was not applied, for `countd failed retry`.
      expect(job?.data.r).toEqual([[victim, 100]]);
      // The marker was written with the group: a redelivered copy is not applied again.
      expect(await client.exists(s.layout.keys.applied('hit-1'))).toBe(1);
    },
  );

  it('blames exactly the increments not applied: a refused field is refused whole, its other jobs named, bystanders completed', async () => {
    // Stored just below int64 max - 2^53: one MAX_SAFE delta fits, two do not. The two jobs'
    // deltas cannot be summed as safe integers, so they travel as two HINCRBYs on one field
    // (the spill path): the first fits, the second overflows. Before the fix the first stayed
    // applied while both jobs were failed as refused — a retry of both would count it twice.
    const s = stack();
    const [victim, other] = s.namesOn('a', 2, 'blame');
    const where = s.layout.locate(victim!);
    const client = s.server('a').client();
    const start = INT64_MAX - 2n ** 53n;
    await client.hset(where.key, where.field, start.toString());
    const max = Number.MAX_SAFE_INTEGER;
    await s.add(payload([[victim!, max]]), 'first-1');
    await s.add(
      payload([
        [victim!, max],
        [other!, 3],
      ]),
      'second-1',
    );
    await s.add(payload([[other!, 4]]), 'bystander-2');
    const { worker } = s.worker({ flushIntervalMs: 300 });
    await worker.start();
    await waitFor('the three jobs to finish', async () => {
      const counts = await s.queue.getJobCounts('completed', 'failed');
      return (counts.completed ?? 0) + (counts.failed ?? 0) === 3;
    });
    expect(await client.hget(where.key, where.field)).toBe(start.toString());
    expect(await s.read(other!)).toBe('7');
    expect(await s.queue.getJobState('bystander-2')).toBe('completed');
    for (const id of ['first-1', 'second-1']) {
      const job = await s.queue.getJob(id);
      expect(await job?.getState()).toBe('failed');
      expect(job?.data.r).toEqual([[victim, max]]);
      expect(job?.failedReason).toContain(`1 increment not applied: ${victim} +${max} on node a`);
    }
    console.log(
      `[overflow blame] field at int64 max - 2^53, two jobs +MAX_SAFE each: value unchanged, ` +
        `both jobs failed naming [${victim}, ${max}] only, the other counter applied (7), bystander completed`,
    );
  });

  it('reports a refusal whose reply was lost: the retry finds the markers and the record beside them', async () => {
    const s = stack();
    const [victim, other] = s.namesOn('a', 2, 'lostreply');
    const where = s.layout.locate(victim!);
    const client = s.server('a').client();
    await client.hset(where.key, where.field, (INT64_MAX - 7n).toString());
    const { worker, metrics } = s.worker({
      flushIntervalMs: 50,
      commandTimeoutMs: 100,
      retryMinMs: 20,
      retryMaxMs: 100,
    });
    await worker.start();
    // Loads the apply script on the node first: a timed-out EVALSHA must find it there.
    const [warm] = s.namesOn('a', 1, 'lostreply-warm');
    await s.add(payload([[warm!, 1]]), 'warm-2');
    await waitFor('the warm-up', async () => (await s.queue.getJobState('warm-2')) === 'completed');

    // The node is paused past the client's timeout: the first apply runs once the pause ends,
    // after the worker gave up on its reply; the retry finds the markers.
    await client.client('PAUSE', 600, 'ALL');
    await s.add(
      payload([
        [victim!, 100],
        [other!, 2],
      ]),
      'lost-1',
    );
    await waitFor('lost-1 to finish', async () => {
      const state = await s.queue.getJobState('lost-1');
      return state === 'failed' || state === 'completed';
    });
    expect(await counterValue(metrics.duplicatePartsSkipped, { node: 'a' })).toBeGreaterThanOrEqual(
      1,
    );
    const job = await s.queue.getJob('lost-1');
    // Before the fix: 'completed', the +100 silently dropped.
    expect(await job?.getState()).toBe('failed');
    expect(job?.data.r).toEqual([[victim, 100]]);
    expect(job?.failedReason).toMatch(/overflow/);
    expect(await s.read(other!)).toBe('2');
    expect(await client.hget(where.key, where.field)).toBe((INT64_MAX - 7n).toString());
    console.log(
      `[lost refusal] reply lost (node paused past the 100 ms timeout), retry skipped the applied part; ` +
        `job ${await job?.getState()}: ${job?.failedReason}`,
    );
  });

  it('adds deltas whose JavaScript sum would pass 2^53 exactly, in int64 (spill path)', async () => {
    const s = stack();
    const [up, down] = s.namesOn('c', 2, 'spill');
    const big = 2 ** 52 + 1; // odd: a float sum of five of them is not exact
    expect(Number.isSafeInteger(big)).toBe(true);
    expect(String(big + big + big + big + big)).not.toBe((BigInt(big) * 5n).toString());
    // Several pairs of one name in one job put them in one group, where they cannot be summed
    // as safe integers.
    await s.add(
      payload([
        [up!, big],
        [down!, -big],
        [up!, big],
        [down!, -big],
        [up!, big],
        [down!, -big],
      ]),
      'spill-1',
    );
    await s.add(
      payload([
        [up!, big],
        [up!, big],
        [down!, -big],
      ]),
      'spill-2',
    );
    const { worker, metrics } = s.worker({ flushIntervalMs: 100 });
    const flushed: number[] = [];
    worker.on('flushed', (e) => flushed.push(e.commands - e.counters));
    await worker.start();
    await waitFor(
      'both jobs',
      async () => (await s.queue.getJobCounts('completed')).completed === 2,
    );
    expect(await s.read(up!)).toBe((BigInt(big) * 5n).toString()); // 22517998136852485
    expect(await s.read(down!)).toBe((BigInt(-big) * 4n).toString());
    // Some HINCRBYs went beyond one per counter: the spilled deltas.
    expect(flushed.some((extra) => extra > 0)).toBe(true);
    expect(await counterValue(metrics.jobsFailed)).toBe(0);

    // And on top of a stored value past 2^53, too.
    await s.add(
      payload([
        [up!, Number.MAX_SAFE_INTEGER],
        [up!, Number.MAX_SAFE_INTEGER],
      ]),
      'spill-3',
    );
    await waitFor('spill-3', async () => (await s.queue.getJobState('spill-3')) === 'completed');
    const expected = BigInt(big) * 5n + 2n * BigInt(Number.MAX_SAFE_INTEGER);
    expect(await s.read(up!)).toBe(expected.toString());
  });
});
