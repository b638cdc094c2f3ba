import { describe, expect, it } from 'vitest';
import { BAD_PAYLOADS, GOOD_EDGE_NAMES } from '../jobs/bad-payloads.js';
import { uniquePrefix, useRedisServers } from '../support/redis-harness.js';
import { counterValue, payload, useStacks, waitFor } from './worker-fixture.js';

describe('CounterWorker with malformed jobs in the queue', () => {
  const redis = useRedisServers({ count: 4 });
  const prefix = uniquePrefix('bad-input');
  const stack = useStacks(redis, prefix);

  it('fails every bad job with its reason, applies every good one exactly, and keeps running', async () => {
    const s = stack();
    const bad = BAD_PAYLOADS.filter((c) => c.json);
    expect(bad.length).toBeGreaterThanOrEqual(35);
    const names = [
      ...s.namesOn('a', 2, 'good'),
      ...s.namesOn('b', 2, 'good'),
      ...s.namesOn('c', 2, 'good'),
    ];
    const expected = new Map<string, bigint>();
    const goodIds: string[] = [];
    // Bad and good jobs interleaved: a bad job must not take its neighbours down with it.
    for (let i = 0; i < bad.length; i++) {
      await s.add(bad[i]!.data, `bad-${i}`);
      const pairs: Array<[string, number]> = names.map((name, k) => [name, (i + 1) * (k + 1)]);
      const edge = GOOD_EDGE_NAMES[i % GOOD_EDGE_NAMES.length]!;
      pairs.push([edge, -(i + 1)]);
      for (const [name, delta] of pairs)
        expected.set(name, (expected.get(name) ?? 0n) + BigInt(delta));
      await s.add(payload(pairs), `good-${i}`);
      goodIds.push(`good-${i}`);
    }

    const { worker, metrics } = s.worker({ flushIntervalMs: 50 });
    const failedEvents: Array<{ jobId: string; reason: string }> = [];
    worker.on('jobFailed', (e) => failedEvents.push(e));
    await worker.start();

    await waitFor(
      'every job to finish',
      async () => {
        const counts = await s.queue.getJobCounts('completed', 'failed');
        return counts.completed === goodIds.length && counts.failed === bad.length;
      },
      30_000,
    );

    for (let i = 0; i < bad.length; i++) {
      const job = await s.queue.getJob(`bad-${i}`);
      expect(await job?.getState(), bad[i]!.label).toBe('failed');
      const reason = job?.failedReason ?? '';
      expect(reason, bad[i]!.label).toContain(`malformed job bad-${i}: `);
      for (const pattern of bad[i]!.reason) expect(reason, bad[i]!.label).toMatch(pattern);
      // The payload failed for good: no retry was attempted.
      expect(job?.attemptsMade, bad[i]!.label).toBeLessThanOrEqual(1);
    }
    for (const id of goodIds) expect(await s.queue.getJobState(id)).toBe('completed');
    for (const [name, total] of expected) expect(await s.read(name), name).toBe(String(total));

    expect(failedEvents.map((e) => e.jobId).sort()).toEqual(bad.map((_, i) => `bad-${i}`).sort());
    const byId = new Map(failedEvents.map((e) => [e.jobId, e.reason]));
    expect(byId.get(`bad-${bad.findIndex((c) => c.label === 'empty name')}`)).toBe(
      'pair 2: counter name must not be empty',
    );
    expect(await counterValue(metrics.jobsFailed, { reason: 'malformed' })).toBe(bad.length);
    expect(await counterValue(metrics.jobsFailed, { reason: 'refused' })).toBe(0);
    expect(await counterValue(metrics.jobsReceived)).toBe(bad.length + goodIds.length);
    expect(worker.held).toBe(0);

    // Still running: a job added now is applied too.
    const [late] = s.namesOn('b', 1, 'late');
    await s.add(payload([[late!, 9]]), 'late-1');
    await waitFor('the late job', async () => (await s.read(late!)) === '9');
    expect(await worker.ready()).toBe(true);
  });

  it('fails a job naming the bad counter among many good pairs, and applies none of its pairs', async () => {
    const s = stack();
    const names = s.namesOn('a', 50, 'mixed');
    const pairs: Array<[string, unknown]> = names.map((n) => [n, 1]);
    pairs[37] = [names[37]!, 0.5];
    await s.add({ v: 1, t: Date.now(), c: pairs }, 'mixed-1');
    await s.add(payload([[names[0]!, 4]]), 'fine-1');
    const { worker } = s.worker({ flushIntervalMs: 50 });
    await worker.start();
    await waitFor('both jobs to finish', async () => {
      const counts = await s.queue.getJobCounts('completed', 'failed');
      return counts.completed === 1 && counts.failed === 1;
    });
    const job = await s.queue.getJob('mixed-1');
    expect(job?.failedReason).toBe(
      `malformed job mixed-1: pair 37 (${names[37]}): delta 0.5 is not an integer`,
    );
    // A malformed job is all or nothing: none of its 49 good pairs were counted.
    expect(await s.read(names[0]!)).toBe('4');
    for (const name of names.slice(1)) expect(await s.read(name)).toBeNull();
  });
});
