import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidSeriesRequestError } from '../../src/errors/index.js';
import { CountdKeys } from '../../src/keys/index.js';
import {
  CounterReader,
  UnsafeCounterValueError,
  type ReaderNode,
  type SeriesStep,
} from '../../src/reader/index.js';
import { HashRing } from '../../src/ring/index.js';
import { parseRollups } from '../../src/rollups/index.js';
import { StorageLayout } from '../../src/storage/index.js';
import { uniquePrefix, useRedisServers } from '../support/redis-harness.js';

const IDS = ['a', 'b', 'c'];
const BUCKETS = 8;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** 2025-01-10T00:00Z: a day start, so minutes, hours and days of the three days line up. */
const DAY0 = Date.UTC(2025, 0, 10);
const STEP: Record<SeriesStep, number> = { minute: MINUTE, hour: HOUR, day: DAY };
const ALL_ROLLUPS = parseRollups('minute:48h,hour:35d,day:400d', 'rollups');

describe('CounterReader.getSeries on 3 storage nodes', () => {
  const redis = useRedisServers({ count: 3 });
  const prefix = uniquePrefix('series');
  const keys = new CountdKeys(prefix);
  const ring = new HashRing(IDS.map((id) => ({ id, weight: 1 })));
  const layout = new StorageLayout(ring, prefix, BUCKETS);
  /** What each counter grew by per bucket, as seeded: name -> step -> start -> value. */
  const seeded = new Map<string, Map<SeriesStep, Map<number, number>>>();
  let nodes: ReaderNode[];
  let reader: CounterReader;

  /** Writes a bucket as the apply does: HINCRBY of the counter's field in its slot's hash. */
  async function bucket(name: string, step: SeriesStep, at: number, by: number | bigint) {
    const start = Math.floor(at / STEP[step]) * STEP[step];
    const key = keys.series(step, start, layout.bucketOf(name));
    const node = ring.locate(name);
    await redis.server(IDS.indexOf(node)).client().hincrby(key, name, by.toString());
    if (typeof by === 'bigint') return;
    let steps = seeded.get(name);
    if (steps === undefined) seeded.set(name, (steps = new Map()));
    let starts = steps.get(step);
    if (starts === undefined) steps.set(step, (starts = new Map()));
    starts.set(start, (starts.get(start) ?? 0) + by);
  }

  /** The series the seeds make for [from, to), zeros filled. */
  function expected(name: string, step: SeriesStep, from: number, to: number) {
    const out: Array<[number, number]> = [];
    const first = Math.ceil(from / STEP[step]) * STEP[step];
    for (let start = first; start < to; start += STEP[step])
      out.push([start, seeded.get(name)?.get(step)?.get(start) ?? 0]);
    return out;
  }

  beforeAll(async () => {
    nodes = IDS.map((id, i) => ({
      id,
      connection: { host: redis.server(i).host, port: redis.server(i).port },
    }));
    reader = new CounterReader({ nodes, ring, prefix, buckets: BUCKETS, rollups: ALL_ROLLUPS });
    // Three days of a few counters, spread over every node; each granularity written apart,
    // as the apply writes each kept one.
    for (let c = 0; c < 6; c++) {
      const name = c % 2 === 0 ? `page:${c}` : `sales:${c}`;
      for (let i = 0; i < 40; i++) {
        const at = DAY0 + ((i * 7919 + c * 104_729) % (3 * DAY));
        const by = ((i * 31 + c) % 50) - 10;
        for (const step of ['minute', 'hour', 'day'] as const) await bucket(name, step, at, by);
      }
    }
  });

  afterAll(async () => {
    await reader?.close();
  });

  it('spreads its counters over more than one node', () => {
    expect(new Set([...seeded.keys()].map((name) => ring.locate(name))).size).toBeGreaterThan(1);
  });

  it('reads three days per minute, hour and day exactly, zeros filled', async () => {
    const to = DAY0 + 3 * DAY;
    for (const name of seeded.keys()) {
      for (const step of ['minute', 'hour', 'day'] as const) {
        const series = await reader.getSeries(name, { step, from: DAY0, to });
        expect(series.length).toBe((3 * DAY) / STEP[step]);
        expect(series, `${name} per ${step}`).toEqual(expected(name, step, DAY0, to));
      }
      // Every bucket kept its own sum: the minutes of a day add up to that day.
      const minutes = await reader.getSeries(name, { step: 'minute', from: DAY0, to: DAY0 + DAY });
      const [[, day]] = (await reader.getSeries(name, {
        step: 'day',
        from: new Date(DAY0),
        to: new Date(DAY0 + 1),
      })) as [[number, number]];
      expect(minutes.reduce((sum, [, v]) => sum + v, 0)).toBe(day);
    }
  });

  it('takes the buckets whose start is in [from, to): from rounds up, to is exclusive', async () => {
    const name = [...seeded.keys()][0]!;
    const from = DAY0 + 5 * HOUR + 1;
    const to = DAY0 + 9 * HOUR;
    const series = await reader.getSeries(name, { step: 'hour', from, to });
    expect(series.map(([start]) => (start - DAY0) / HOUR)).toEqual([6, 7, 8]);
    expect(series).toEqual(expected(name, 'hour', from, to));
    expect(await reader.getSeries(name, { step: 'hour', from: to, to })).toEqual([]);
    expect(await reader.getSeries(name, { step: 'day', from: from, to: to })).toEqual([]);
    // A counter never written reads zeros.
    expect(await reader.getSeries('never:written', { step: 'day', from: DAY0, to })).toEqual([
      [DAY0, 0],
    ]);
  });

  it('getSeriesMany returns a Map of every name once, read across nodes', async () => {
    const names = [...seeded.keys(), 'never:written', [...seeded.keys()][0]!];
    const from = DAY0 + DAY - 3 * HOUR;
    const to = DAY0 + 2 * DAY + 3 * HOUR;
    const many = await reader.getSeriesMany(names, { step: 'hour', from, to });
    expect([...many.keys()]).toEqual([...new Set(names)]);
    for (const name of many.keys())
      expect(many.get(name)).toEqual(expected(name, 'hour', from, to));
    expect(await reader.getSeriesMany([], { step: 'hour', from, to })).toEqual(new Map());
  });

  it('values follow the value mode: exact bigints, or a typed error past 2^53', async () => {
    const name = 'big:series';
    await bucket(name, 'minute', DAY0, 2n ** 62n);
    await bucket(name, 'minute', DAY0 + MINUTE, -5n);
    const exact = new CounterReader({
      nodes,
      ring,
      prefix,
      buckets: BUCKETS,
      values: 'bigint',
      rollups: ALL_ROLLUPS,
    });
    try {
      expect(
        await exact.getSeries(name, { step: 'minute', from: DAY0, to: DAY0 + 3 * MINUTE }),
      ).toEqual([
        [DAY0, 2n ** 62n],
        [DAY0 + MINUTE, -5n],
        [DAY0 + 2 * MINUTE, 0n],
      ]);
    } finally {
      await exact.close();
    }
    await expect(
      reader.getSeries(name, { step: 'minute', from: DAY0, to: DAY0 + MINUTE }),
    ).rejects.toBeInstanceOf(UnsafeCounterValueError);
  });

  it('refuses bad requests with an InvalidSeriesRequestError naming the field', async () => {
    const field = async (
      options: Parameters<CounterReader['getSeries']>[1],
      on: CounterReader = reader,
    ) => {
      const err: unknown = await on.getSeries('page:0', options).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidSeriesRequestError);
      return (err as InvalidSeriesRequestError).field;
    };
    expect(await field({ step: 'hour', from: DAY0 + 1, to: DAY0 })).toBe('from');
    expect(await field({ step: 'minute', from: DAY0, to: DAY0 + 10_001 * MINUTE })).toBe('to');
    expect(await field({ step: 'week' as SeriesStep, from: DAY0, to: DAY0 })).toBe('step');
    expect(await field({ step: 'hour', from: Number.NaN, to: DAY0 })).toBe('from');
    expect(await field({ step: 'hour', from: DAY0, to: Number.POSITIVE_INFINITY })).toBe('to');
    expect(await field({ step: 'hour', from: new Date('nope'), to: DAY0 })).toBe('from');
    expect(await field({ step: 'hour', from: -1, to: DAY0 })).toBe('from');
    // 10,000 buckets exactly is allowed.
    const most = await reader.getSeries('page:0', {
      step: 'minute',
      from: DAY0,
      to: DAY0 + 10_000 * MINUTE,
    });
    expect(most.length).toBe(10_000);

    // A step the rollups do not keep, and a reader with none.
    const hourly = new CounterReader({
      nodes,
      ring,
      prefix,
      buckets: BUCKETS,
      rollups: parseRollups('hour:35d', 'rollups'),
    });
    const none = new CounterReader({ nodes, ring, prefix, buckets: BUCKETS });
    try {
      expect(await field({ step: 'minute', from: DAY0, to: DAY0 + HOUR }, hourly)).toBe('step');
      expect(
        await hourly.getSeries('page:0', { step: 'hour', from: DAY0, to: DAY0 + HOUR }),
      ).toEqual(expected('page:0', 'hour', DAY0, DAY0 + HOUR));
      const err = await none
        .getSeries('page:0', { step: 'hour', from: DAY0, to: DAY0 + HOUR })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidSeriesRequestError);
      expect((err as Error).message).toMatch(/no rollups are configured/);
    } finally {
      await Promise.all([hourly.close(), none.close()]);
    }
  });
});
