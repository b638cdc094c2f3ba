import { describe, expect, it } from 'vitest';
import { InvalidEventTimeError } from '../../src/errors/index.js';
import { Producer } from '../../src/producer/index.js';
import { bucketStart, parseRollups, type Rollups } from '../../src/rollups/index.js';
import { uniquePrefix, useRedisServers } from '../support/redis-harness.js';
import {
  counterValue,
  payload,
  useStacks,
  waitFor,
  type NodeId,
  type Stack,
} from './worker-fixture.js';

const ROLLUPS: Rollups = parseRollups('minute:48h,hour:35d,day:400d', 'COUNTD_ROLLUPS');
const HOUR = 3_600_000;
const MINUTE = 60_000;

/** What the buckets must hold: per `<granularity> <start> <name>`, the sum; and the skipped. */
class Expected {
  readonly totals = new Map<string, number>();
  readonly buckets = new Map<string, number>();
  readonly tooOld = new Map<string, number>(ROLLUPS.map((r) => [r.granularity, 0]));

  add(name: string, by: number, at: number, now: number): void {
    this.totals.set(name, (this.totals.get(name) ?? 0) + by);
    for (const r of ROLLUPS) {
      // Buckets go by the event's minute (the payload carries minutes).
      const start = bucketStart(Math.floor(at / MINUTE) * MINUTE, r.stepMs);
      if (start + r.stepMs + r.retentionMs <= now) {
        this.tooOld.set(r.granularity, this.tooOld.get(r.granularity)! + 1);
        continue;
      }
      const key = `${r.granularity} ${start} ${name}`;
      this.buckets.set(key, (this.buckets.get(key) ?? 0) + by);
    }
  }
}

/** HGET of a counter's bucket on its node, at the documented key (docs/series.md). */
async function readBucket(s: Stack, granularity: string, start: number, name: string) {
  const node = s.ring.locate(name) as NodeId;
  const key = s.layout.keys.series(granularity, start, s.layout.bucketOf(name));
  const client = s.server(node).client();
  try {
    const [value, pttl] = await Promise.all([client.hget(key, name), client.pttl(key)]);
    return { value, pttl };
  } finally {
    client.disconnect();
  }
}

describe('rollups: time buckets written by the apply', () => {
  const redis = useRedisServers({ count: 4 });
  const stack = useStacks(redis, uniquePrefix('rollups'));

  it('buckets increments spread over three days by their event time, exactly, with their TTLs', async () => {
    const s = stack({ rollups: ROLLUPS, buckets: 16 });
    const { worker, metrics } = s.worker();
    await worker.start();
    const producer = new Producer({
      queue: { host: redis.server(0).host, port: redis.server(0).port },
      queueName: s.queueName,
      lingerMs: 5,
    });
    try {
      const now = Date.now();
      const expected = new Expected();
      const names = ['page:home', 'page:cart', 'sales:42', 'views:éé'];
      // Hours back; 49 h and more are past the minute retention (48 h), not the hour one.
      const hoursBack = [0, 0.25, 1, 3, 10, 23.5, 25, 47, 49, 55, 60, 71.5];
      const sends: Array<Promise<void>> = [];
      let i = 0;
      for (const h of hoursBack) {
        for (const name of names) {
          // A distinct minute per increment, so a pair is one increment (the metric counts pairs).
          const at = now - h * HOUR - (i % 7) * MINUTE - 1000 * i;
          const by = 1 + (i % 5);
          i++;
          sends.push(producer.increment(name, by, { at }));
          expected.add(name, by, at, now);
        }
      }
      // Up to 5 minutes ahead is counted in its bucket; past that, refused by the producer.
      sends.push(producer.increment('page:home', 7, { at: new Date(now + 4 * MINUTE) }));
      expected.add('page:home', 7, now + 4 * MINUTE, now);
      await expect(producer.increment('page:home', 1, { at: now + 6 * MINUTE })).rejects.toThrow(
        InvalidEventTimeError,
      );
      await expect(producer.increment('page:home', 1, { at: -5 })).rejects.toThrow(
        /not epoch milliseconds/,
      );
      // A version 1 job (another producer, countd 0.1) counts in the minute of its t.
      await s.add(payload([['page:cart', 100]]), 'v1-job');
      expected.add('page:cart', 100, Date.now(), now);
      await Promise.all(sends);
      expect(producer.payloadVersion).toBe(2);

      await waitFor('every increment to be applied', async () => {
        const counts = await s.queue.getJobCounts('active', 'waiting');
        return counts.active === 0 && counts.waiting === 0 && worker.held === 0;
      });
      for (const [name, total] of expected.totals) expect(await s.read(name)).toBe(String(total));
      // 49 increments over 3 days: many minutes, hours and days.
      expect(expected.buckets.size).toBeGreaterThan(60);
      const readNow = Date.now();
      for (const [key, sum] of expected.buckets) {
        const [granularity, start, ...rest] = key.split(' ');
        const name = rest.join(' ');
        const rollup = ROLLUPS.find((r) => r.granularity === granularity)!;
        const { value, pttl } = await readBucket(s, granularity!, Number(start), name);
        expect({ key, value }).toEqual({ key, value: String(sum) });
        const ttl = Number(start) + rollup.stepMs + rollup.retentionMs - readNow;
        expect(Math.abs(pttl - ttl)).toBeLessThan(5000);
      }
      // Nothing where the retention says nothing is kept: the minute of 49 h ago is empty.
      const old = now - 49 * HOUR;
      expect((await readBucket(s, 'minute', bucketStart(old, MINUTE), 'page:home')).value).toBe(
        null,
      );
      expect(expected.tooOld.get('minute')).toBeGreaterThan(0);
      for (const r of ROLLUPS)
        expect(
          await counterValue(metrics.rollupIncrementsTooOld, { granularity: r.granularity }),
        ).toBe(expected.tooOld.get(r.granularity));
      const bucketFields = (g: string) =>
        [...expected.buckets.keys()].filter((k) => k.startsWith(`${g} `)).length;
      expect(await counterValue(metrics.rollupBucketWrites, { granularity: 'day' })).toBe(
        bucketFields('day'),
      );
    } finally {
      await producer.close();
    }
  });

  it("with payloadVersion 'auto' writes version 2 only for a batch that holds another minute", async () => {
    const s = stack({ rollups: ROLLUPS });
    const { worker } = s.worker();
    await worker.start();
    const producer = new Producer({
      queue: { host: redis.server(0).host, port: redis.server(0).port },
      queueName: s.queueName,
      lingerMs: 5,
      payloadCensusIntervalMs: 60_000,
    });
    try {
      // The census sees the fleet read version 2 (the worker registers it), once.
      await producer.increment('page:home', 1, { at: Date.now() - 2 * HOUR });
      expect(producer.payloadVersion).toBe(2);
      // Stopped, the worker leaves what comes next waiting, to be read as stored.
      await worker.close();
      await producer.increment('page:home', 2);
      await producer.increment('page:cart', 3, { at: Date.now() - 3 * MINUTE });
      const jobs = await s.queue.getWaiting();
      const versions = jobs.map((j) => [(j.data as { v: number }).v, j.data.c]);
      // A 0.1.0 worker that joined since the census still reads the batch without an `at`.
      expect(versions.sort()).toEqual([
        [1, [['page:home', 2]]],
        [2, ['page:cart', 3]],
      ]);
    } finally {
      await producer.close();
    }
  });

  it('bounds the fields of one apply by maxScriptCounters, bucket fields included', async () => {
    const s = stack({ rollups: ROLLUPS });
    const { worker } = s.worker({ maxScriptCounters: 10, flushIntervalMs: 300 });
    const applies: number[] = [];
    worker.on('flushed', (e) => applies.push(e.commands));
    await worker.start();
    const names = s.namesOn('a', 10, 'bounded');
    // 2 counters per job = 8 fields (a total and 3 buckets each): one job per apply.
    for (let j = 0; j < 5; j++)
      await s.add(
        payload([
          [names[2 * j]!, 1],
          [names[2 * j + 1]!, 2],
        ]),
        `bounded-${j}`,
      );
    await waitFor('the jobs to complete', async () => {
      const states = await Promise.all(
        [0, 1, 2, 3, 4].map((j) => s.queue.getJobState(`bounded-${j}`)),
      );
      return states.every((state) => state === 'completed');
    });
    expect(applies.reduce((a, b) => a + b, 0)).toBe(40);
    for (const commands of applies) expect(commands).toBeLessThanOrEqual(10);
  });

  it('writes no bucket and no time work without rollups', async () => {
    const s = stack();
    const { worker, metrics } = s.worker();
    await worker.start();
    const [name] = s.namesOn('b', 1, 'plain');
    await s.add(payload([[name!, 5]]), 'plain-1');
    await waitFor('the total', async () => (await s.read(name!)) === '5');
    const client = s.server('b').client();
    const keys = await client.keys(s.layout.keys.seriesPattern());
    client.disconnect();
    expect(keys).toEqual([]);
    expect(await counterValue(metrics.rollupBucketWrites)).toBe(0);
  });
});
