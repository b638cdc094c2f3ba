import { applyAccess } from '../support/apply-access.js';
import { afterEach, describe, expect, it } from 'vitest';
import { HeldJob } from '../../src/worker/held-job.js';
import { FlushBuffer } from '../../src/worker/flush-buffer.js';
import { NodeWriter, type ApplySettings } from '../../src/worker/node-writer.js';
import { Producer } from '../../src/producer/index.js';
import { uniquePrefix, useRedisServers } from '../support/redis-harness.js';
import { NODE_IDS, counterValue, payload, useStacks, waitFor } from './worker-fixture.js';
import type { Stack } from './worker-fixture.js';

const SETTINGS: ApplySettings = {
  markerTtlSeconds: 86_400,
  markerGraceSeconds: 300,
  channel: undefined,
  publishChunk: 500,
};

describe('exactly-once effect', () => {
  // AOF, so a storage node stopped and restarted keeps what it had.
  const redis = useRedisServers({ count: 4, appendonly: true });
  const prefix = uniquePrefix('exactly-once');
  const stack = useStacks(redis, prefix);
  const producers: Producer[] = [];

  afterEach(async () => {
    await Promise.allSettled(producers.splice(0).map((p) => p.close()));
  });

  /**
   * Job `jobId` with `pairs` (from {@link spread}) applied on a and c by a worker that gives up
   * while b is down: the job stays active, its lock left to expire, b's part not applied.
   */
  async function appliedOnAandCOnly(
    s: Stack,
    pairs: Array<[string, number]>,
    jobId: string,
  ): Promise<void> {
    const first = s.worker({ flushIntervalMs: 50, retryMaxMs: 100, lockDurationMs: 1000 });
    await first.worker.start();
    const b = s.server('b');
    await b.stop();
    try {
      await s.add(payload(pairs), jobId);
      await waitFor('a and c to be applied', async () => {
        return (await s.read(pairs[0]![0])) === '10' && (await s.read(pairs[2]![0])) === '12';
      });
      // The first worker cannot finish within its deadline: the job stays uncompleted.
      expect(await first.worker.close(300)).toBe(false);
      expect(await s.queue.getJobState(jobId)).toBe('active');
    } finally {
      await b.restart();
    }
  }

  /** Waits for `jobId` to complete, then checks every counter of `pairs` holds its delta once. */
  async function completedWith(
    s: Stack,
    jobId: string,
    pairs: Array<[string, number]>,
  ): Promise<void> {
    await waitFor(
      `${jobId} to complete`,
      async () => (await s.queue.getJobState(jobId)) === 'completed',
      15_000,
    );
    for (const [name, delta] of pairs) expect(await s.read(name)).toBe(String(delta));
  }

  /** One counter per node, each with its own delta, in one payload. */
  function spread(s: Stack, stem: string): Array<[string, number]> {
    return NODE_IDS.map((id, i) => [s.namesOn(id, 1, stem)[0]!, 10 + i]);
  }

  describe('a batch enqueued twice under one job id', () => {
    it('while the first copy is waiting: BullMQ keeps one job and it counts once', async () => {
      const s = stack();
      const pairs = spread(s, 'twice');
      const first = await s.add(payload(pairs), 'p-1');
      const second = await s.add(payload(pairs), 'p-1');
      expect(second.id).toBe(first.id);
      expect((await s.queue.getJobCounts('waiting')).waiting).toBe(1);

      const { worker } = s.worker();
      await worker.start();
      await waitFor(
        'p-1 to complete',
        async () => (await s.queue.getJobState('p-1')) === 'completed',
      );
      for (const [name, delta] of pairs) expect(await s.read(name)).toBe(String(delta));
    });

    it('when a Producer retries an add whose reply was late: one job, counted once', async () => {
      const s = stack();
      const queueServer = redis.server(0);
      const producer = new Producer({
        queue: { host: queueServer.host, port: queueServer.port },
        queueName: s.queueName,
        producerId: 'late-reply',
        lingerMs: 0,
        attemptTimeoutMs: 40,
        deadlineMs: 10_000,
      });
      producers.push(producer);
      const [warm] = s.namesOn('a', 1, 'warm');
      await producer.increment(warm!, 1); // late-reply-1: the connection is ready afterwards
      const [name] = s.namesOn('b', 1, 'late');

      // Writes wait 500 ms on the queue Redis: the first add times out on the producer's side
      // and is retried under the same id while that first add is still waiting to run.
      const admin = queueServer.client();
      await admin.client('PAUSE', 500, 'WRITE');
      const started = Date.now();
      await producer.increment(name!, 5);
      expect(Date.now() - started).toBeGreaterThanOrEqual(400);

      const events = await admin.xrange(s.queue.keys.events!, '-', '+');
      const duplicated = events.filter(([, fields]) => {
        const f = Object.fromEntries(chunk(fields));
        return f.event === 'duplicated' && f.jobId === 'late-reply-2';
      });
      // The retry reached Redis after the first attempt had added the job: BullMQ refused it.
      expect(duplicated.length).toBeGreaterThanOrEqual(1);
      const jobs = await s.queue.getJobs(['waiting']);
      expect(jobs.map((j) => j.id).sort()).toEqual(['late-reply-1', 'late-reply-2']);

      const { worker } = s.worker();
      await worker.start();
      await waitFor('the jobs to be applied', async () => (await s.read(name!)) === '5');
      await worker.flush();
      expect(await s.read(name!)).toBe('5');
      expect(await s.read(warm!)).toBe('1');
    });

    it('after the first copy completed and was removed: the markers make the worker skip it', async () => {
      const s = stack();
      const pairs = spread(s, 'again');
      const { worker, metrics } = s.worker({ flushIntervalMs: 50 });
      await worker.start();
      // A producer re-adding a batch sends the same payload (same t, same batch token).
      const batch = payload(pairs);
      await s.add(batch, 'again-1', true);
      await waitFor('the first copy to be applied and removed', async () => {
        const state = await s.queue.getJobState('again-1');
        return state === 'unknown' && (await s.read(pairs[2]![0])) === String(pairs[2]![1]);
      });
      expect(await counterValue(metrics.duplicatePartsSkipped)).toBe(0);

      await s.add(batch, 'again-1', true);
      await waitFor(
        'the second copy to be skipped on all three nodes',
        async () => (await counterValue(metrics.duplicatePartsSkipped)) === 3,
      );
      await waitFor('the second copy to complete', async () => worker.held === 0);
      for (const id of NODE_IDS) {
        expect(await counterValue(metrics.duplicatePartsSkipped, { node: id })).toBe(1);
      }
      for (const [name, delta] of pairs) expect(await s.read(name)).toBe(String(delta));
      const counts = await s.queue.getJobCounts('failed', 'active', 'waiting', 'completed');
      expect(counts).toEqual({ failed: 0, active: 0, waiting: 0, completed: 0 });
      expect(await counterValue(metrics.jobsReceived)).toBe(2);
    });
  });

  describe('a flush retried after its reply was lost', () => {
    it('NodeWriter.apply run twice on one group: the second finds the marker and writes nothing', async () => {
      const s = stack();
      const client = s.server('a').client();
      const writer = new NodeWriter('a', client, s.layout, SETTINGS);
      const access = await applyAccess(client, s.layout);
      const names = s.namesOn('a', 20, 'apply');
      const buffer = new FlushBuffer(1, () => 0, 1000);
      const job = new HeldJob('apply-1', payload(names.map((n, i) => [n, i + 1])), 0);
      buffer.add(job, job.payload!);
      const [group] = buffer.take(0);

      const first = await writer.apply(group!, [], access);
      expect(first).toEqual({
        kind: 'applied',
        refused: [],
        commands: 20,
        bucketRefused: [],
        bucketWrites: [],
      });
      const after = await Promise.all(names.map((n) => s.read(n)));
      expect(after).toEqual(names.map((_, i) => String(i + 1)));

      const retry = await writer.apply(group!, [], access);
      expect(retry).toEqual({ kind: 'duplicates', parts: [{ job: 0, refused: new Map() }] });
      expect(await Promise.all(names.map((n) => s.read(n)))).toEqual(after);
      const marker = s.layout.keys.applied('apply-1');
      expect(await client.exists(marker)).toBe(1);
      expect(await client.ttl(marker)).toBeGreaterThan(86_000);

      // A later group holding this job and a new one names only the applied job.
      const other = new HeldJob('apply-2', payload([[names[0]!, 100]]), 0);
      buffer.add(new HeldJob('apply-1', job.payload!, 0), job.payload!);
      buffer.add(other, other.payload!);
      const [mixed] = buffer.take(0);
      expect(await writer.apply(mixed!, [], access)).toEqual({
        kind: 'duplicates',
        parts: [{ job: 0, refused: new Map() }],
      });
      expect(await s.read(names[0]!)).toBe('1');

      // Shrinking the marker of a completed job: its TTL drops to the grace period.
      const alone = new FlushBuffer(1, () => 0, 1000);
      alone.add(other, other.payload!);
      const [rest] = alone.take(0);
      expect(await writer.apply(rest!, ['apply-1'], access)).toMatchObject({ kind: 'applied' });
      expect(await s.read(names[0]!)).toBe('101');
      const ttl = await client.ttl(marker);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(300);
    });

    it('end to end: the apply times out on the client but runs on the node; the retry counts nothing twice', async () => {
      const s = stack();
      const { worker, metrics } = s.worker({
        flushIntervalMs: 50,
        commandTimeoutMs: 100,
        retryMinMs: 20,
        retryMaxMs: 100,
      });
      const errors: string[] = [];
      worker.on('error', (err) => errors.push(`${err.node ?? '?'}: ${err.message}`));
      await worker.start();
      // Loads the apply script on every node: a timed-out EVALSHA must find it there to run.
      const warm = spread(s, 'warm');
      await s.add(payload(warm), 'warm-1');
      await waitFor(
        'the warm-up job',
        async () => (await s.queue.getJobState('warm-1')) === 'completed',
      );

      const pairs = spread(s, 'slow');
      const admin = s.server('a').client();
      await admin.client('PAUSE', 600, 'ALL');
      await s.add(payload(pairs), 'slow-1');
      await waitFor(
        'slow-1 to complete',
        async () => (await s.queue.getJobState('slow-1')) === 'completed',
      );

      expect(errors.some((e) => /^a: .*timed out/i.test(e))).toBe(true);
      expect(
        await counterValue(metrics.flushErrors, { node: 'a', reason: 'timeout' }),
      ).toBeGreaterThan(0);
      // A retry found the marker written by the attempt that had timed out: the path was taken.
      expect(
        await counterValue(metrics.duplicatePartsSkipped, { node: 'a' }),
      ).toBeGreaterThanOrEqual(1);
      for (const [name, delta] of [...warm, ...pairs])
        expect(await s.read(name)).toBe(String(delta));
    });
  });

  describe('a job applied on node a and c while b is down', () => {
    it('stays held, and only b’s part is applied once b is back', async () => {
      const s = stack();
      const pairs = spread(s, 'partial');
      const { worker, metrics } = s.worker({ flushIntervalMs: 50, retryMaxMs: 100 });
      await worker.start();
      const b = s.server('b');
      await b.stop();
      try {
        await s.add(payload(pairs), 'partial-1');
        await waitFor('a and c to be applied', async () => {
          return (await s.read(pairs[0]![0])) === '10' && (await s.read(pairs[2]![0])) === '12';
        });
        await waitFor('flush errors on b', async () => {
          return (await counterValue(metrics.flushErrors, { node: 'b' })) >= 2;
        });
        expect(worker.held).toBe(1);
        expect(await s.queue.getJobState('partial-1')).toBe('active');
      } finally {
        await b.restart();
      }
      await waitFor(
        'partial-1 to complete',
        async () => (await s.queue.getJobState('partial-1')) === 'completed',
      );
      for (const [name, delta] of pairs) expect(await s.read(name)).toBe(String(delta));
      expect(worker.held).toBe(0);
      expect(await counterValue(metrics.duplicatePartsSkipped)).toBe(0);
      expect(await counterValue(metrics.flushErrors, { node: 'a' })).toBe(0);
    });

    it('redelivered to another worker after the first gave up: a and c are skipped, b is applied', async () => {
      const s = stack();
      const pairs = spread(s, 'redeliver');
      await appliedOnAandCOnly(s, pairs, 'redeliver-1');
      const second = s.worker({ flushIntervalMs: 50, lockDurationMs: 1000 });
      await second.worker.start();
      await completedWith(s, 'redeliver-1', pairs);
      const skipped = second.metrics.duplicatePartsSkipped;
      expect(await counterValue(skipped, { node: 'a' })).toBe(1);
      expect(await counterValue(skipped, { node: 'c' })).toBe(1);
      expect(await counterValue(skipped, { node: 'b' })).toBe(0);
      expect(await counterValue(second.metrics.jobsReceived)).toBe(1);
    });
  });
  describe('a held job the queue no longer has, found while its group is rebuilt', () => {
    it('is dropped as lost, not applied from memory: its pairs were read back from the queue', async () => {
      const s = stack();
      const pairs = spread(s, 'gone');
      await appliedOnAandCOnly(s, pairs, 'gone-1');
      // gone-2 shares node a's group with gone-1, whose part there is applied already: the
      // apply finds that marker and the group is rebuilt from the payloads read back.
      const [other] = s.namesOn('a', 1, 'gone-other');
      await s.add(payload([[other!, 5]]), 'gone-2');
      const second = s.worker({ flushIntervalMs: 3_600_000, lockDurationMs: 1000 });
      await second.worker.start();
      await waitFor('both jobs held', async () => second.worker.held === 2, 15_000);
      // Another worker completed gone-2 meanwhile (removeOnComplete): its data is gone.
      await redis.server(0).client().del(`bull:${s.queueName}:gone-2`);
      await second.worker.flush();
      await completedWith(s, 'gone-1', pairs);
      expect(await s.read(other!)).toBeNull();
      expect(await counterValue(second.metrics.jobsLost)).toBe(1);
      expect(await counterValue(second.metrics.duplicatePartsSkipped, { node: 'a' })).toBe(1);
      expect(second.worker.held).toBe(0);
    });
  });
});

function chunk(fields: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < fields.length; i += 2) out.push([fields[i]!, fields[i + 1]!]);
  return out;
}
