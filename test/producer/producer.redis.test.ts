import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ClosedError,
  InvalidCounterNameError,
  InvalidDeltaError,
  ProducerFullError,
  QueueUnavailableError,
} from '../../src/errors/index.js';
import type { JobPayload } from '../../src/jobs/index.js';
import { ProducerMetrics } from '../../src/metrics/index.js';
import { Producer } from '../../src/producer/index.js';
import { uniquePrefix, useRedisServers, type RedisServers } from '../support/redis-harness.js';

type ProducerOverrides = Partial<Omit<ConstructorParameters<typeof Producer>[0], 'queue'>>;

interface Setup {
  readonly producer: Producer;
  readonly queue: Queue;
  readonly metrics: ProducerMetrics;
  /** Job ids in the order the producer reported them enqueued. */
  readonly enqueued: string[];
  /** Every waiting job's payload, by job id. */
  jobs(): Promise<Map<string, JobPayload>>;
}

function setUp(
  redis: RedisServers,
  suite: string,
  cleanup: Array<() => Promise<unknown>>,
  overrides: ProducerOverrides = {},
): Setup {
  const server = redis.server(0);
  const connection = { host: server.host, port: server.port };
  const queueName = `${suite.replace(/:/g, '-')}-${randomBytes(3).toString('hex')}`;
  const metrics = new ProducerMetrics(new Registry());
  const producer = new Producer({ queue: connection, queueName, metrics, ...overrides });
  const queue = new Queue(queueName, { connection });
  queue.on('error', () => undefined);
  const enqueued: string[] = [];
  producer.on('enqueued', (e) => enqueued.push(e.jobId));
  cleanup.push(
    () => producer.close(),
    () => queue.close(),
  );
  return {
    producer,
    queue,
    metrics,
    enqueued,
    async jobs() {
      const jobs = await queue.getJobs(['waiting']);
      return new Map(jobs.map((j) => [j.id!, j.data as JobPayload]));
    },
  };
}

async function settled<T>(promise: Promise<T>): Promise<unknown> {
  return promise.then(
    () => 'resolved',
    (err: unknown) => err,
  );
}

async function metricValue(
  metric: { get(): Promise<{ values: Array<{ labels: object; value: number }> }> },
  labels: Record<string, string> = {},
): Promise<number> {
  const { values } = await metric.get();
  return values
    .filter((v) =>
      Object.entries(labels).every(
        ([k, want]) => (v.labels as Record<string, unknown>)[k] === want,
      ),
    )
    .reduce((sum, v) => sum + v.value, 0);
}

describe('Producer', () => {
  const redis = useRedisServers({ count: 1 });
  const suite = uniquePrefix('producer');
  const cleanup: Array<() => Promise<unknown>> = [];

  afterEach(async () => {
    for (const step of cleanup.splice(0)) await step().catch(() => undefined);
  });

  it('coalesces 10,000 increments of 10 counters into one job', async () => {
    const s = setUp(redis, suite, cleanup, { producerId: 'coalesce', lingerMs: 50 });
    const names = Array.from({ length: 10 }, (_, i) => `page:${i}`);
    const all: Promise<void>[] = [];
    for (let i = 0; i < 10_000; i++) all.push(s.producer.increment(names[i % 10]!, 1));
    await Promise.all(all);

    const jobs = await s.jobs();
    expect([...jobs.keys()]).toEqual(['coalesce-1']);
    const data = jobs.get('coalesce-1')!;
    expect(data.v).toBe(1);
    expect(Object.fromEntries(data.c)).toEqual(Object.fromEntries(names.map((n) => [n, 1000])));
    expect(await metricValue(s.metrics.incrementsEnqueued)).toBe(10_000);
    expect(await metricValue(s.metrics.jobsEnqueued)).toBe(1);
    expect(s.producer.pendingIncrements).toBe(0);
  });

  it('names jobs <producerId>-<seq>, and increment resolves once its job is in the queue', async () => {
    const s = setUp(redis, suite, cleanup, { producerId: 'ids.host-1', lingerMs: 0 });
    const before = Date.now();
    for (const [i, name] of ['a', 'b', 'c'].entries()) {
      await s.producer.increment(name, i + 1);
      // Resolved: the job is already there, under the next sequence number.
      const job = await s.queue.getJob(`ids.host-1-${i + 1}`);
      expect(job?.data).toMatchObject({ v: 1, c: [[name, i + 1]] });
      expect(job?.opts).toMatchObject({ attempts: 1, removeOnComplete: true });
      expect((job?.data as JobPayload).t).toBeGreaterThanOrEqual(before);
      expect((job?.data as JobPayload).t).toBeLessThanOrEqual(Date.now());
    }
    expect(s.enqueued).toEqual(['ids.host-1-1', 'ids.host-1-2', 'ids.host-1-3']);
  });

  it('lingers up to lingerMs before sending a batch', async () => {
    const s = setUp(redis, suite, cleanup, { producerId: 'linger', lingerMs: 400 });
    const started = Date.now();
    const first = s.producer.increment('x', 1);
    await sleep(200);
    const second = s.producer.increment('x', 2); // joins the open batch
    expect((await s.queue.getJobCounts('waiting')).waiting).toBe(0);
    await Promise.all([first, second]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await s.jobs()).toEqual(
      new Map([['linger-1', expect.objectContaining({ c: [['x', 3]] })]]),
    );
  });

  it('splits at maxBatch distinct counters, sending full batches without waiting for the linger', async () => {
    const s = setUp(redis, suite, cleanup, {
      producerId: 'split',
      lingerMs: 30_000,
      maxBatch: 100,
    });
    const full: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) full.push(s.producer.increment(`n${i}`, 1));
    const rest: Promise<void>[] = [];
    for (let i = 200; i < 250; i++) rest.push(s.producer.increment(`n${i}`, 1));
    await Promise.all(full); // long before the 30 s linger
    const jobs = await s.jobs();
    expect([...jobs.keys()].sort()).toEqual(['split-1', 'split-2']);
    expect(jobs.get('split-1')?.c).toHaveLength(100);
    expect(jobs.get('split-2')?.c).toHaveLength(100);
    expect(s.producer.pendingIncrements).toBe(50);
    await s.producer.flush();
    await Promise.all(rest);
    const after = await s.jobs();
    expect(after.get('split-3')?.c).toEqual(
      Array.from({ length: 50 }, (_, i) => [`n${200 + i}`, 1]),
    );
  });

  it('drops pairs that sum to zero, and sends no job for a batch that sums to nothing', async () => {
    const s = setUp(redis, suite, cleanup, { producerId: 'zero', lingerMs: 20 });
    await Promise.all([
      s.producer.increment('online', 5),
      s.producer.increment('online', -5),
      s.producer.increment('views', 1),
    ]);
    expect([...(await s.jobs()).entries()]).toEqual([
      ['zero-1', expect.objectContaining({ c: [['views', 1]] })],
    ]);
    await Promise.all([s.producer.increment('online', 1), s.producer.increment('online', -1)]);
    expect([...(await s.jobs()).keys()]).toEqual(['zero-1']);
    expect(s.enqueued).toEqual(['zero-1']);
    expect(await metricValue(s.metrics.incrementsEnqueued)).toBe(5);
    expect(s.producer.pendingIncrements).toBe(0);
  });

  it('rejects invalid names and deltas without affecting the other increments of the batch', async () => {
    const s = setUp(redis, suite, cleanup, { producerId: 'valid', lingerMs: 20 });
    const good1 = s.producer.increment('ok-1', 1);
    const outcomes = await Promise.all([
      settled(s.producer.increment('', 1)),
      settled(s.producer.increment('x'.repeat(513), 1)),
      settled(s.producer.increment('tab\there', 1)),
      settled(s.producer.increment('float', 1.5)),
      settled(s.producer.increment('unsafe', 2 ** 53)),
      settled(s.producer.increment('nan', Number.NaN)),
      settled(s.producer.increment('text', '1' as unknown as number)),
    ]);
    const good2 = s.producer.increment('ok-2', 2);
    await Promise.all([good1, good2]);

    const [empty, long, tab, float, unsafe, nan, text] = outcomes;
    for (const e of [empty, long, tab]) expect(e).toBeInstanceOf(InvalidCounterNameError);
    for (const e of [float, unsafe, nan, text]) expect(e).toBeInstanceOf(InvalidDeltaError);
    expect((empty as Error).message).toBe('invalid counter name "": must not be empty');
    expect((tab as InvalidCounterNameError).reason).toBe('contains a control character');
    expect((float as Error).message).toBe('invalid delta for "float": 1.5 is not an integer');
    expect((unsafe as InvalidDeltaError).delta).toBe(2 ** 53);
    expect((text as Error).message).toContain('must be a number, got string');

    expect([...(await s.jobs()).values()].map((d) => d.c)).toEqual([
      [
        ['ok-1', 1],
        ['ok-2', 2],
      ],
    ]);
  });

  it('rejects with ProducerFullError at maxPendingIncrements, and accepts again once drained', async () => {
    const s = setUp(redis, suite, cleanup, {
      producerId: 'full',
      lingerMs: 60_000,
      maxPendingIncrements: 5,
    });
    const taken = Array.from({ length: 5 }, (_, i) => s.producer.increment(`c${i}`, 1));
    const refused = await settled(s.producer.increment('one-too-many', 1));
    expect(refused).toBeInstanceOf(ProducerFullError);
    expect((refused as ProducerFullError).pendingIncrements).toBe(5);
    expect((refused as Error).message).toMatch(
      /producer buffer full: 5 increments waiting for the queue \(limit 5\)/,
    );
    expect(await metricValue(s.metrics.enqueueErrors, { reason: 'full' })).toBe(1);
    await s.producer.flush();
    await Promise.all(taken);
    expect([...(await s.jobs()).values()][0]?.c).toHaveLength(5);
    expect(s.producer.pendingIncrements).toBe(0);
    const again = s.producer.increment('after', 1);
    await s.producer.flush();
    await expect(again).resolves.toBeUndefined();
  });

  it('close() sends what lingers, is idempotent, and later increments reject with ClosedError', async () => {
    const s = setUp(redis, suite, cleanup, { producerId: 'close', lingerMs: 60_000 });
    const pending = s.producer.increment('last', 7);
    const closing = s.producer.close();
    expect(s.producer.close()).toBe(closing);
    await closing;
    await expect(pending).resolves.toBeUndefined();
    expect([...(await s.jobs()).entries()]).toEqual([
      ['close-1', expect.objectContaining({ c: [['last', 7]] })],
    ]);
    await expect(s.producer.increment('late', 1)).rejects.toThrow(ClosedError);
    await expect(s.producer.increment('late', 1)).rejects.toThrow('producer is closed');
  });
});

describe('Producer while the queue Redis is down', () => {
  const redis = useRedisServers({ count: 1 });
  const suite = uniquePrefix('producer-down');
  const cleanup: Array<() => Promise<unknown>> = [];

  afterEach(async () => {
    for (const step of cleanup.splice(0)) await step().catch(() => undefined);
  });

  it('rejects with QueueUnavailableError within deadlineMs, and succeeds again once the queue is back', async () => {
    const s = setUp(redis, suite, cleanup, {
      producerId: 'down',
      lingerMs: 5,
      attemptTimeoutMs: 300,
      deadlineMs: 1500,
    });
    const errors: QueueUnavailableError[] = [];
    s.producer.on('error', (e) => errors.push(e));
    await s.producer.increment('before', 1);

    const server = redis.server(0);
    await server.stop();
    try {
      const started = Date.now();
      const outcome = await Promise.all([
        settled(s.producer.increment('during', 1)),
        settled(s.producer.increment('during', 2)),
      ]);
      const elapsed = Date.now() - started;
      expect(elapsed).toBeLessThan(1500 + 1000);
      const [e1, e2] = outcome;
      expect(e1).toBeInstanceOf(QueueUnavailableError);
      expect(e2).toBe(e1); // one batch, one error for both of its increments
      const error = e1 as QueueUnavailableError;
      expect(error.jobId).toBe('down-2');
      expect(error.increments).toBe(2);
      expect(error.message).toMatch(
        /^batch down-2 \(2 increments\) not confirmed by the queue: no confirmation within 1500 ms \(.+\)/,
      );
      expect(error.message).toContain('a late attempt may still land once, under this job id');
      expect(errors).toEqual([error]);
      expect(s.producer.pendingIncrements).toBe(0);
      expect(await metricValue(s.metrics.enqueueErrors, { reason: 'unavailable' })).toBe(1);
    } finally {
      await server.restart();
    }

    // The connection comes back by itself: new increments succeed.
    const deadline = Date.now() + 20_000;
    let lastError: unknown;
    for (;;) {
      const result = await settled(s.producer.increment('after', 1));
      if (result === 'resolved') break;
      lastError = result;
      expect(result).toBeInstanceOf(QueueUnavailableError);
      if (Date.now() > deadline) throw new Error(`queue never came back: ${String(lastError)}`);
    }
    await s.producer.increment('after', 5);
    const jobs = await s.jobs();
    expect(
      [...jobs.values()].flatMap((d) => d.c).find(([n, d]) => n === 'after' && d === 5),
    ).toBeDefined();
  });
});
