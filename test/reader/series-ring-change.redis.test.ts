import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CounterReader } from '../../src/reader/index.js';
import { readerOptionsFromConfig } from '../../src/reader/reader-options.js';
import { parseRollups } from '../../src/rollups/index.js';
import type { StorageLayout } from '../../src/storage/index.js';
import { useRedisServers } from '../support/redis-harness.js';
import { RingChangeScenario } from './ring-change-scenario.js';

const MINUTE = 60_000;
const DAY0 = Date.UTC(2025, 0, 10);
const MINUTES = 5;
const COUNTERS = 400;
const WINDOW = { step: 'minute', from: DAY0, to: DAY0 + MINUTES * MINUTE } as const;

// move-in.lua's fold for one field of a bucket hash: flag first, the old value added only when
// the flag was not set yet, atomically.
const FOLD = `if redis.call('HSETNX', KEYS[2], ARGV[1], '1') == 1 then
  redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2]) end return 0`;

/** The series buckets of counters, moved as a ring change moves them (docs/series.md). */
class SeriesScenario {
  /** What each counter's minute `k` should read: updated before each write lands. */
  readonly issued = new Map<string, number[]>();

  constructor(readonly s: RingChangeScenario) {}

  async increment(name: string, minute: number, by: number, layout: StorageLayout) {
    const values = this.issued.get(name) ?? new Array<number>(MINUTES).fill(0);
    values[minute]! += by;
    this.issued.set(name, values);
    const key = layout.keys.series('minute', DAY0 + minute * MINUTE, layout.bucketOf(name));
    await this.s.node(layout.ring.locate(name)).hincrby(key, name, by);
  }

  /** Folds each minute of `name` into its v2 hash with its flag, then deletes it from v1. */
  async move(name: string): Promise<void> {
    const { from, to } = this.s;
    const fromNode = this.s.node(from.ring.locate(name));
    const toNode = this.s.node(to.ring.locate(name));
    for (let minute = 0; minute < MINUTES; minute++) {
      const start = DAY0 + minute * MINUTE;
      const oldKey = from.keys.series('minute', start, from.bucketOf(name));
      const newKey = to.keys.series('minute', start, to.bucketOf(name));
      const value = await fromNode.hget(oldKey, name);
      if (value === null) continue;
      await toNode.eval(FOLD, 2, newKey, to.keys.movedInSeries(2, newKey), name, value);
      await fromNode.hdel(oldKey, name);
    }
  }

  expected(names: readonly string[]): Record<string, Array<[number, number]>> {
    return Object.fromEntries(
      names.map((name) => [
        name,
        (this.issued.get(name) ?? []).map((v, k): [number, number] => [DAY0 + k * MINUTE, v]),
      ]),
    );
  }
}

describe('CounterReader.getSeries during a ring change (3 nodes + d added)', () => {
  const redis = useRedisServers({ count: 5 });

  function readerOf(s: RingChangeScenario): CounterReader {
    const reader = new CounterReader({
      ...readerOptionsFromConfig(s.config()),
      rollups: parseRollups('minute:48h', 'rollups'),
      ringPollMs: 50,
    });
    onTestFinished(() => reader.close());
    return reader;
  }

  it('reads moved buckets at both locations: never lower than before, exact after', async () => {
    const s = new RingChangeScenario(redis);
    const t = new SeriesScenario(s);
    const names = Array.from({ length: COUNTERS }, (_, i) => `sr:${i}`);
    for (const [i, name] of names.entries())
      for (let k = 0; k < MINUTES; k++) await t.increment(name, k, 1 + ((i + k) % 13), s.from);
    await s.registerV1();
    const split = s.split(names);
    expect(split.length).toBeGreaterThan(50); // d takes about a quarter
    const reader = readerOf(s);
    const read = async () => Object.fromEntries(await reader.getSeriesMany(names, WINDOW));
    expect(await read()).toEqual(t.expected(names));

    let stop = false;
    let polls = 0;
    const problems: string[] = [];
    const last = new Map<string, number[]>();
    const poller = (async () => {
      while (!stop) {
        const series = await reader.getSeriesMany(names, WINDOW);
        const bound = new Map([...t.issued].map(([n, v]) => [n, [...v]]));
        polls++;
        for (const [name, buckets] of series) {
          buckets.forEach(([, value], k) => {
            const before = last.get(name)?.[k] ?? 0;
            if (value < before) problems.push(`${name}[${k}] ${before} -> ${value}`);
            if (value > bound.get(name)![k]!)
              problems.push(`${name}[${k}] ${value} > ${bound.get(name)![k]}`);
          });
          last.set(
            name,
            buckets.map(([, v]) => v),
          );
        }
      }
    })();

    await s.fence();
    await s.startMoving();
    // Workers under v2 write at the new locations; some split counters are not moved yet.
    for (const [i, name] of split.entries()) await t.increment(name, i % MINUTES, 100, s.to);
    expect(await reader.getSeries(split[0]!, WINDOW)).toEqual(t.expected([split[0]!])[split[0]!]);
    const pollsBefore = polls;
    for (const [i, name] of split.entries()) {
      await t.move(name);
      if (i % 3 === 0) await t.increment(name, (i + 1) % MINUTES, 1, s.to);
      if (i % 10 === 0) await sleep(1);
    }
    expect(polls - pollsBefore).toBeGreaterThan(3);
    expect(await read()).toEqual(t.expected(names));
    await s.finish();
    stop = true;
    await poller;
    expect(problems.slice(0, 10)).toEqual([]);
    expect(await read()).toEqual(t.expected(names));
    // Nothing is left at the old locations of the moved counters.
    const { from } = s;
    for (const name of split.slice(0, 20)) {
      const key = from.keys.series('minute', DAY0, from.bucketOf(name));
      expect(await s.node(from.ring.locate(name)).hget(key, name)).toBeNull();
    }
  });
});
