import { describe, expect, it } from 'vitest';
import {
  RingChangeRunner,
  layoutOf,
  planChange,
  proposeRing,
  type RingRecord,
} from '../../src/ring-change/index.js';
import { useRedisServers } from '../support/redis-harness.js';
import { NODE_NAMES, seedFleet, type Fleet } from './ring-change-fixture.js';

const START = 1_700_000_040_000;
/** Far enough ahead that nothing expires during the test, and exact to the millisecond. */
const EXPIRE_AT = Date.now() + 3_600_000;

/** Seeds two minutes of time-bucket hashes (docs/series.md) for every counter of the fleet. */
async function seedSeries(fleet: Fleet): Promise<Map<string, bigint>> {
  const layout = layoutOf(fleet.ring);
  const expected = new Map<string, bigint>();
  const keys = new Set<string>();
  for (const [i, name] of [...fleet.expected.keys()].entries()) {
    const at = layout.locate(name);
    for (const minute of [0, 1]) {
      const key = fleet.keys.series('1m', START + minute * 60_000, layout.bucketOf(name));
      const value = BigInt(i % 7 === 0 ? -i : i + minute);
      const node = fleet.connect({ id: at.node, weight: 1 });
      await node.hincrby(key, name, value.toString());
      keys.add(`${at.node}\n${key}`);
      expected.set(`${minute} ${name}`, value);
    }
  }
  for (const id of keys) {
    const [node, key] = id.split('\n') as [string, string];
    await fleet.connect({ id: node, weight: 1 }).pexpireat(key, EXPIRE_AT);
  }
  return expected;
}

/** Each seeded field once, in its key under `to` on its node under `to`, expiring as seeded. */
async function misplacedSeries(
  fleet: Fleet,
  to: RingRecord,
  expected: Map<string, bigint>,
  nodes: number,
): Promise<string[]> {
  const layout = layoutOf(to);
  const found = new Map<string, string[]>();
  const problems: string[] = [];
  for (const id of NODE_NAMES.slice(0, nodes)) {
    const client = fleet.connect({ id, weight: 1 });
    for (const key of await fleet.keysOn(id, 's:*')) {
      const expiry = await client.pexpiretime(key);
      if (expiry !== EXPIRE_AT) problems.push(`${id} ${key}: expires at ${expiry}`);
      for (const [field, value] of Object.entries(await client.hgetall(key))) {
        const minute = key.includes(`:${START + 60_000}:`) ? 1 : 0;
        const list = found.get(`${minute} ${field}`) ?? [];
        list.push(`${id} ${key} ${value}`);
        found.set(`${minute} ${field}`, list);
      }
    }
  }
  for (const [id, value] of expected) {
    const [minute, name] = id.split(' ') as [string, string];
    const key = fleet.keys.series('1m', START + Number(minute) * 60_000, layout.bucketOf(name));
    const want = `${layout.locate(name).node} ${key} ${value}`;
    const got = found.get(id) ?? [];
    if (got.length !== 1 || got[0] !== want)
      problems.push(`${id}: want ${want}, got ${got.join(' | ')}`);
  }
  if (found.size !== expected.size) problems.push(`${found.size} fields, ${expected.size} seeded`);
  return problems;
}

describe('RingChangeRunner, time-bucket hashes', () => {
  // 0: queue Redis, 1-4: nodes a, b, c, d.
  const redis = useRedisServers({ count: 5 });

  const runnerFor = (fleet: Fleet) =>
    new RingChangeRunner({
      queue: fleet.queue,
      queueName: fleet.queueName,
      connect: (node) => fleet.connect(node),
      batchSize: 100,
      settlePollMs: 20,
    });

  it('adding d: each bucket field moves with its counter, keeps its expiry; flags cleaned', async () => {
    const fleet = await seedFleet(redis, { counters: 1500 });
    const series = await seedSeries(fleet);
    const to = proposeRing(fleet.ring, { kind: 'add', node: fleet.node('d') });
    const clients = new Map(
      ['a', 'b', 'c', 'd'].map((id) => [id, fleet.connect({ id, weight: 1 })]),
    );
    const plan = await planChange(fleet.ring, to, clients);
    expect(plan.timeBuckets.fields).toBe(series.size);
    // Both minutes of a counter move with it.
    expect(plan.timeBuckets.moving).toBe(2 * plan.moving);
    const runner = runnerFor(fleet);
    await runner.begin('add', to);
    await runner.run();
    expect(await misplacedSeries(fleet, to, series, 4)).toEqual([]);
    for (const id of ['a', 'b', 'c', 'd']) expect(await fleet.keysOn(id, 'moved@*')).toEqual([]);
  });

  it('a layout change moves bucket fields to their new slot on their node', async () => {
    const fleet = await seedFleet(redis, { counters: 800, buckets: 16 });
    const series = await seedSeries(fleet);
    const to = proposeRing(fleet.ring, { kind: 'layout', buckets: 40 });
    const runner = runnerFor(fleet);
    await runner.begin('layout', to);
    await runner.run();
    expect(await misplacedSeries(fleet, to, series, 3)).toEqual([]);
  });

  it('stopped after a move-in of bucket fields, a new runner finishes without folding twice', async () => {
    const fleet = await seedFleet(redis, { counters: 0 });
    // Counters with no total, only time buckets: every batch is of bucket fields.
    const names = Array.from({ length: 600 }, (_, i) => `n2:series:${i}`);
    (fleet.expected as Map<string, bigint>).clear();
    for (const n of names) (fleet.expected as Map<string, bigint>).set(n, 0n);
    const series = await seedSeries(fleet);
    (fleet.expected as Map<string, bigint>).clear();
    const to = proposeRing(fleet.ring, { kind: 'add', node: fleet.node('d') });
    const first = runnerFor(fleet);
    const abort = new AbortController();
    let seen = 0;
    first.on('step', (step) => {
      if (step.kind === 'moved-in' && ++seen === 2) abort.abort();
    });
    await first.begin('add', to);
    await expect(first.run(abort.signal)).rejects.toMatchObject({ name: 'AbortError' });
    // Some flags exist: folded fields whose old copy is still there.
    expect((await fleet.keysOn('d', 'moved@2:s:*')).length).toBeGreaterThan(0);
    const second = runnerFor(fleet);
    await second.run();
    expect(await misplacedSeries(fleet, to, series, 4)).toEqual([]);
    for (const id of ['a', 'b', 'c', 'd']) expect(await fleet.keysOn(id, 'moved@*')).toEqual([]);
  });
});
