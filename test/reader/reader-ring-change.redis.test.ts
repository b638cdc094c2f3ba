import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CounterReader } from '../../src/reader/index.js';
import { hashRingOf } from '../../src/ring-change/index.js';
import { useRedisServers } from '../support/redis-harness.js';
import { BUCKETS, RingChangeScenario } from './ring-change-scenario.js';

const COUNTERS = 1200;

/** Polls `check` until it holds, at most `ms`. */
async function until(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

describe('CounterReader during a ring change (3 nodes + d added)', () => {
  const redis = useRedisServers({ count: 5 });

  /** A fleet with `count` counters `<tag>:<i>` seeded under v1 and its ring registered. */
  async function seeded(tag: string, count = COUNTERS): Promise<RingChangeScenario> {
    const s = new RingChangeScenario(redis);
    for (let i = 0; i < count; i++) await s.increment(`${tag}:${i}`, 1 + (i % 97), s.from);
    await s.registerV1();
    return s;
  }

  function readerOf(s: RingChangeScenario, nodeIds?: readonly string[]): CounterReader {
    const reader = CounterReader.fromConfig(s.config(nodeIds), { ringPollMs: 50 });
    onTestFinished(() => reader.close());
    return reader;
  }

  it('getMany never goes down and never exceeds what was written while counters move', async () => {
    const s = await seeded('n');
    const names = [...s.issued.keys()];
    const split = s.split(names);
    expect(split.length).toBeGreaterThan(150); // d takes about a quarter
    const reader = readerOf(s);
    expect(Object.fromEntries(await reader.getMany(names))).toEqual(Object.fromEntries(s.issued));

    let stop = false;
    let polls = 0;
    const problems: string[] = [];
    const last = new Map<string, number>();
    const poller = (async () => {
      while (!stop) {
        const values = await reader.getMany(names);
        // What was issued once the read is over bounds it: a value above it counts twice.
        const bound = new Map(s.issued);
        polls++;
        for (const [name, value] of values) {
          if (value < (last.get(name) ?? 0)) problems.push(`${name} ${last.get(name)} -> ${value}`);
          if (value > bound.get(name)!) problems.push(`${name} ${value} > ${bound.get(name)}`);
          last.set(name, value);
        }
      }
    })();
    let writing = true;
    let layout = s.from;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        await s.increment(names[(i * 7919) % names.length]!, 1, layout);
        if (i % 20 === 0) await sleep(0);
      }
    })();
    await sleep(30);
    // v1 workers stop at the fence; v2 workers write at the new locations once the ring is v2.
    writing = false;
    await writer;
    await s.fence();
    await s.startMoving();
    layout = s.to;
    writing = true;
    const v2writer = (async () => {
      for (let i = 0; writing; i++) {
        await s.increment(split[(i * 31) % split.length]!, 1, s.to);
        if (i % 20 === 0) await sleep(0);
      }
    })();
    const pollsBefore = polls;
    for (const [i, name] of split.entries()) {
      await s.move(name);
      if (i % 10 === 0) await sleep(1);
    }
    writing = false;
    await v2writer;
    expect(polls - pollsBefore).toBeGreaterThan(5);
    expect(Object.fromEntries(await reader.getMany(names))).toEqual(Object.fromEntries(s.issued));
    await s.finish();
    stop = true;
    await poller;
    expect(problems.slice(0, 10)).toEqual([]);
    expect(Object.fromEntries(await reader.getMany(names))).toEqual(Object.fromEntries(s.issued));
    // After cleanup nothing is left at the old locations of the moved counters.
    for (const name of split.slice(0, 20)) {
      const { node, key } = s.from.locate(name);
      expect(await s.node(node).hget(key, name)).toBeNull();
    }
  });

  it('get, list and listAll read whole values with half of the counters moved', async () => {
    const s = await seeded('l', 400);
    const names = [...s.issued.keys()];
    const split = s.split(names);
    const reader = readerOf(s);
    await s.fence();
    await s.startMoving();
    for (const name of split.slice(0, split.length / 2)) await s.move(name);
    // A counter split and not moved yet, one moved, both with v2 increments too.
    for (const name of [split[0]!, split.at(-1)!]) await s.increment(name, 1000, s.to);
    for (const name of [split[0]!, split.at(-1)!, names[0]!])
      expect(await reader.get(name)).toBe(s.issued.get(name));

    const all = new Map<string, number>();
    for await (const [name, value] of reader.listAll('l:*', { count: 50 })) {
      expect(all.has(name)).toBe(false);
      all.set(name, value);
    }
    expect(Object.fromEntries(all)).toEqual(Object.fromEntries(s.issued));

    // Pages may repeat a name during a change, each time with its whole value.
    const paged = new Map<string, number>();
    let cursor: string | undefined;
    do {
      const page = await reader.list('l:*', { count: 50, cursor });
      for (const [name, value] of page.counters) {
        expect(value).toBe(s.issued.get(name));
        paged.set(name, value);
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
    expect(paged.size).toBe(names.length);
    expect(reader.watchedNodes()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('set and reset of a split counter hold through its fold and the cleanup', async () => {
    const s = await seeded('w', 300);
    const [unmoved, moved, other] = s.split(s.issued.keys());
    const reader = readerOf(s);
    await s.fence();
    await s.startMoving();
    await s.move(moved!);
    await reader.set(unmoved!, 42);
    await reader.set(moved!, 7);
    await reader.reset(other!);
    expect(await reader.get(unmoved!)).toBe(42);
    expect(await reader.get(moved!)).toBe(7);
    expect(await reader.get(other!)).toBe(0);
    // The fold finds the flags and adds nothing; the old fields are gone already.
    for (const name of [unmoved!, moved!, other!]) await s.move(name);
    await s.increment(unmoved!, 1, s.to);
    expect(await reader.getMany([unmoved!, moved!, other!])).toEqual(
      new Map([
        [unmoved!, 43],
        [moved!, 7],
        [other!, 0],
      ]),
    );
    await s.finish();
    expect(await reader.get(unmoved!)).toBe(43);
    expect(await reader.get(other!)).toBe(0);
  });

  it('watch subscribes to the added node and delivers whole, non-decreasing values', async () => {
    const s = await seeded('v', 300);
    const split = s.split(s.issued.keys()).slice(0, 10);
    const reader = readerOf(s);
    const seen = new Map<string, number[]>();
    const watch = reader.watch('v:*', (updates) => {
      for (const [name, value] of updates) seen.set(name, [...(seen.get(name) ?? []), value]);
    });
    await watch.ready();
    expect(reader.watchedNodes().sort()).toEqual(['a', 'b', 'c']);
    await s.fence();
    await s.startMoving();
    await until(() => reader.watchedNodes().includes('d'));
    await watch.ready();
    // Workers under v2 publish the partial sum at d; the fold of the old sum lands meanwhile.
    for (let round = 0; round < 5; round++) {
      for (const name of split) {
        await s.increment(name, 1, s.to, true);
        if (round === 2) await s.move(name);
      }
    }
    await until(() => split.every((name) => seen.get(name)?.at(-1) === s.issued.get(name)));
    for (const name of split) {
      const values = seen.get(name)!;
      expect(values, name).toEqual([...values].sort((x, y) => x - y));
      expect(values[0]).toBeGreaterThan(1); // never the partial sum 1 of the first increment at d
    }
    await s.finish();
    await watch.close();
  });

  it('a reader given nodes and ring, without the fleet link, reads its own ring as before', async () => {
    const s = await seeded('o', 200);
    const nodes = ['a', 'b', 'c'].map((id, i) => ({
      id,
      connection: { host: redis.server(1 + i).host, port: redis.server(1 + i).port },
    }));
    const reader = new CounterReader({
      nodes,
      ring: hashRingOf(s.v1),
      prefix: s.prefix,
      buckets: BUCKETS,
    });
    onTestFinished(() => reader.close());
    const [name] = s.split(s.issued.keys());
    await s.fence();
    await s.startMoving();
    await s.increment(name!, 5, s.to);
    // What it reads is the v1 location alone, whatever the fleet does.
    const { node, key } = s.from.locate(name!);
    expect(await reader.get(name!)).toBe(Number(await s.node(node).hget(key, name!)));
    expect(reader.options.fleet).toBeUndefined();
    expect(reader.watchedNodes()).toEqual(['a', 'b', 'c']);
  });

  it('reads through the registered ring when the config misses a node of it', async () => {
    const s = await seeded('m', 300);
    const reader = readerOf(s, ['a', 'b']);
    expect(Object.fromEntries(await reader.getMany(s.issued.keys()))).toEqual(
      Object.fromEntries(s.issued),
    );
    await s.fence();
    await s.startMoving();
    const split = s.split(s.issued.keys());
    for (const name of split.slice(0, 10)) await s.move(name);
    for (const name of split.slice(5, 15)) await s.increment(name, 3, s.to);
    expect(Object.fromEntries(await reader.getMany(s.issued.keys()))).toEqual(
      Object.fromEntries(s.issued),
    );
  });
});
