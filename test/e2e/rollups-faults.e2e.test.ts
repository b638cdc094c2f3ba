import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Producer } from '../../src/producer/index.js';
import { bucketStart, parseRollups, type Rollups } from '../../src/rollups/index.js';
import { Prng } from '../../workers/load/index.js';
import { startInProcessLoad, type LoadProducer } from './support/in-process-load.js';
import { metricSum } from './support/prom-text.js';
import { useE2eStack } from './support/use-e2e-stack.js';
import { describeCheck, verifyCounters } from './support/verify-counters.js';
import type { WorkerProcess } from './support/worker-process.js';

const ROLLUPS_SPEC = 'minute:48h,hour:35d,day:400d';
const ROLLUPS: Rollups = parseRollups(ROLLUPS_SPEC, 'COUNTD_ROLLUPS');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const KILLS = 5;
const LOCK_MS = 3000;
const GRACE_S = 1;
/** A SIGSTOP longer than the lock and the marker grace together. */
const PAUSE_MS = LOCK_MS + GRACE_S * 1000 + 1500;
// Kill timings and event times come from this seed: printed, so a failing run can be replayed
// (E2E_SEED=...).
const SEED = Number(process.env.E2E_SEED ?? Math.floor(Math.random() * 1e9));

/**
 * Event times of the load, as offsets before the moment it starts: now (most of it), minutes
 * and hours back (other minute buckets), 50 h back (too old for the minute retention of 48 h:
 * counted in the total, the hour and the day), 40 days back (too old for the hour retention of
 * 35 d too: total and day only), 100 days back. Offsets stay well clear of a retention's edge,
 * so whether an increment is too old does not depend on when its apply runs.
 */
const OFFSETS: ReadonlyArray<readonly [offsetMs: number, weight: number]> = [
  [0, 50],
  [2 * MINUTE, 10],
  [7 * MINUTE, 8],
  [61 * MINUTE, 8],
  [3 * HOUR, 6],
  [25 * HOUR, 6],
  [47 * HOUR, 4],
  [50 * HOUR, 3],
  [40 * DAY, 3],
  [100 * DAY, 2],
];

/** What every bucket must hold: per `<hash key> <field>`, the sum the queue confirmed. */
class ExpectedBuckets {
  readonly sums = new Map<string, number>();
  /** Per granularity, confirmed increments too old for it. */
  readonly tooOld = new Map<string, number>(ROLLUPS.map((r) => [r.granularity, 0]));

  constructor(
    private readonly keyOf: (granularity: string, start: number, name: string) => string,
  ) {}

  add(name: string, by: number, at: number, now: number): void {
    const minuteStart = Math.floor(at / MINUTE) * MINUTE;
    for (const r of ROLLUPS) {
      const start = bucketStart(minuteStart, r.stepMs);
      if (start + r.stepMs + r.retentionMs <= now) {
        this.tooOld.set(r.granularity, this.tooOld.get(r.granularity)! + 1);
        continue;
      }
      const key = `${this.keyOf(r.granularity, start, name)} ${name}`;
      this.sums.set(key, (this.sums.get(key) ?? 0) + by);
    }
  }
}

/**
 * The load's producer, giving each increment an event time drawn from {@link OFFSETS}; what
 * the queue confirms is added to the expected buckets.
 */
class TimedProducer implements LoadProducer {
  private readonly weights = OFFSETS.reduce((sum, [, w]) => sum + w, 0);
  /** What the producer refused or could not send, as said. */
  readonly refusals: string[] = [];

  constructor(
    private readonly producer: Producer,
    private readonly rng: Prng,
    private readonly start: number,
    private readonly expected: ExpectedBuckets,
  ) {}

  increment(name: string, by: number): Promise<void> {
    let pick = this.rng.nextFloat() * this.weights;
    let offset = 0;
    for (const [o, w] of OFFSETS) {
      offset = o;
      if ((pick -= w) < 0) break;
    }
    // "Now" is the moment of the increment; the others are fixed times, as a replay sends.
    const at = offset === 0 ? Date.now() : this.start - offset;
    const sent = this.producer.increment(name, by, { at });
    // The batch's own promise goes back (the load tells batches apart by it); what the queue
    // confirms is added to the expected buckets on the side.
    sent.then(
      () => this.expected.add(name, by, at, this.start),
      (err: unknown) => void this.refusals.push(String(err)),
    );
    return sent;
  }

  flush(): Promise<void> {
    return this.producer.flush();
  }

  get pendingIncrements(): number {
    return this.producer.pendingIncrements;
  }

  close(): Promise<void> {
    return this.producer.close();
  }
}

/** Every time-bucket field stored under the prefix, with its hash's PTTL. */
async function storedBuckets(
  nodes: ReadonlyMap<string, Redis>,
  pattern: string,
): Promise<{ fields: Map<string, string>; pttl: Map<string, number> }> {
  const fields = new Map<string, string>();
  const pttl = new Map<string, number>();
  for (const [, redis] of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      const pipeline = redis.pipeline();
      for (const key of keys) pipeline.hgetall(key).pttl(key);
      const replies = (await pipeline.exec()) ?? [];
      keys.forEach((key, i) => {
        const hash = replies[2 * i]![1] as Record<string, string>;
        for (const [field, value] of Object.entries(hash)) fields.set(`${key} ${field}`, value);
        pttl.set(key, replies[2 * i + 1]![1] as number);
      });
    } while (cursor !== '0');
  }
  return { fields, pttl };
}

// The write-path SIGKILL run with time buckets on: a load whose increments carry event times
// over 100 days (payload version 2, several minutes per counter in one job), a worker SIGKILLed
// 5 times and twice frozen (SIGSTOP) past its lock and the marker grace, while a second one
// keeps running. Afterwards every total and every bucket field is
// exact, nothing else is stored, and every bucket hash expires when its retention says.
describe('time buckets under faults', () => {
  const e2e = useE2eStack();

  it('counts every total and every minute, hour and day bucket exactly while a worker is SIGKILLed 5 times and paused twice', async () => {
    const s = e2e.create('rollups-sigkill', {
      COUNTD_ROLLUPS: ROLLUPS_SPEC,
      COUNTD_CONCURRENCY: '200',
      COUNTD_LOCK_DURATION_MS: String(LOCK_MS),
      COUNTD_MARKER_GRACE_S: String(GRACE_S),
      // debug: the worker logs each node flush, which lets kills land right after one.
      COUNTD_LOG_LEVEL: 'debug',
    });
    const rng = new Prng(SEED, 1);
    const steady = await s.startWorker('steady');
    let victim: WorkerProcess = await s.startWorker('victim-0');
    const start = Date.now();
    const expected = new ExpectedBuckets((granularity, bucket, name) =>
      s.layout.keys.series(granularity, bucket, s.layout.bucketOf(name)),
    );
    const inner = new Producer({ queue: s.queueConnection, queueName: s.queueName });
    // The producer learns once what the fleet reads (version 2: these workers) before the
    // load: until then an increment in another minute waits for that census.
    const warmUpAt = start - 2 * MINUTE;
    await inner.increment('warm-up', 1, { at: warmUpAt });
    expected.add('warm-up', 1, warmUpAt, start);
    const producer = new TimedProducer(inner, new Prng(SEED, 2), start, expected);
    const faultsDone = new AbortController();
    const load = startInProcessLoad(
      s,
      {
        total: 1_200_000,
        counters: 20_000,
        zipf: 1.1,
        rate: 15_000,
        seed: SEED,
        signal: faultsDone.signal,
      },
      [producer],
    );
    const kills: Array<{ mode: string; atSeconds: number; duringLoad: boolean }> = [];
    const pauses: number[] = [];
    const started = performance.now();
    while (kills.length < KILLS) {
      await sleep(800 + rng.nextFloat() * 2200);
      const mode = kills.length % 2 === 1 ? 'right after a node flush' : 'random moment';
      if (mode !== 'random moment')
        await victim.waitFor((line) => line.msg === 'flushed', 5000).catch(() => undefined);
      await victim.kill();
      kills.push({
        mode,
        atSeconds: Number(((performance.now() - started) / 1000).toFixed(2)),
        duringLoad: !load.finished,
      });
      victim = await s.startWorker(`victim-${kills.length}`);
      // After the 2nd and 4th kill the new victim is frozen past its lock and the marker
      // grace together: the steady worker applies and completes its jobs, their markers
      // shrink and expire, and the victim wakes with those jobs still held.
      if (kills.length === 2 || kills.length === 4) {
        await sleep(500 + rng.nextFloat() * 1000);
        const at = performance.now();
        victim.stop();
        await sleep(PAUSE_MS);
        victim.cont();
        pauses.push(Number(((performance.now() - at) / 1000).toFixed(2)));
      }
    }
    faultsDone.abort();
    const result = await load.done;
    await load.close();
    expect(result.failed, [...new Set(producer.refusals)].slice(0, 5).join('; ')).toBe(0);
    const counts = await s.waitForDrain(120_000);
    const nodes = s.nodeClients();
    const expectedTotals = load.expected().set('warm-up', 1);
    const totals = await verifyCounters(expectedTotals, s.layout, nodes);
    const readAt = Date.now();
    const stored = await storedBuckets(nodes, s.layout.keys.seriesPattern());

    const wrong: string[] = [];
    for (const [key, sum] of expected.sums) {
      // A missing field reads as 0 (docs/series.md): +1 and -1 in one bucket may leave none.
      const value = stored.fields.get(key);
      if ((value ?? '0') !== String(sum))
        wrong.push(`${key}: expected ${sum}, stored ${value ?? 'none'}`);
    }
    const unexpected = [...stored.fields]
      .filter(([key, value]) => !expected.sums.has(key) && value !== '0')
      .map(([key]) => key);
    // Each hash expires at its bucket's start + step + retention, whoever wrote it.
    const ttlOff: string[] = [];
    for (const [key, pttl] of stored.pttl) {
      const [, , granularity, startText] = key.slice(s.prefix.length).split(':');
      const rollup = ROLLUPS.find((r) => r.granularity === granularity)!;
      const due = Number(startText) + rollup.stepMs + rollup.retentionMs - readAt;
      if (pttl < 0 || Math.abs(pttl - due) > 10_000) ttlOff.push(`${key}: ${pttl} ms, due ${due}`);
    }
    const perGranularity = ROLLUPS.map(
      (r) =>
        `${r.granularity} ${[...expected.sums.keys()].filter((k) => k.startsWith(`${s.prefix}:s:${r.granularity}:`)).length}`,
    ).join(', ');
    const texts = await Promise.all([steady.metrics(), victim.metrics()]);
    const duplicates = texts.reduce(
      (sum, t) => sum + metricSum(t, 'countd_duplicate_parts_skipped_total'),
      0,
    );
    console.log(
      `[e2e rollups sigkill] seed ${SEED}: ${result.confirmed} increments over ` +
        `${expectedTotals.size} counters at 15,000/s with event times over 100 days ` +
        `(COUNTD_ROLLUPS=${ROLLUPS_SPEC}); ${KILLS} SIGKILLs ` +
        `(${kills.filter((k) => k.duringLoad).length} during load): ${JSON.stringify(kills)}; ` +
        `SIGSTOP/SIGCONT pauses past lock + grace (${LOCK_MS} ms + ${GRACE_S} s): ${pauses.join(' s, ')} s; ` +
        `duplicate parts skipped (surviving workers): ${duplicates}; totals: ${describeCheck(totals)}; ` +
        `bucket fields expected ${expected.sums.size} (${perGranularity}), stored ${stored.fields.size}, ` +
        `wrong ${wrong.length}, unexpected ${unexpected.length}; too old, confirmed: ` +
        `${JSON.stringify(Object.fromEntries(expected.tooOld))}; ${stored.pttl.size} hashes, ` +
        `TTL off ${ttlOff.length}`,
    );
    expect(kills.filter((k) => k.duringLoad).length).toBe(KILLS);
    expect(counts.failed ?? 0).toBe(0);
    expect(totals.mismatches, describeCheck(totals)).toEqual([]);
    expect(totals.unexpected).toEqual([]);
    expect(wrong.slice(0, 20)).toEqual([]);
    expect(unexpected.slice(0, 20)).toEqual([]);
    expect(ttlOff.slice(0, 20)).toEqual([]);
    // The load did reach every kind of bucket, and the too-old paths.
    expect(expected.tooOld.get('minute')).toBeGreaterThan(0);
    expect(expected.tooOld.get('hour')).toBeGreaterThan(0);
    expect(expected.tooOld.get('day')).toBe(0);
  }, 300_000);
});
