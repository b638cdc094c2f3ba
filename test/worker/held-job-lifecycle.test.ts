import { UnrecoverableError, WaitingError, type Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { FlushBuffer } from '../../src/worker/flush-buffer.js';
import type { JobPayload } from '../../src/jobs/index.js';
import type { HeldJob } from '../../src/worker/held-job.js';
import { HeldJobLifecycle } from '../../src/worker/held-job-lifecycle.js';

/** Names say their node: `n1:views` lives on node 1. */
const nodeOf = (name: string): number => Number(/^n(\d+):/.exec(name)?.[1] ?? Number.NaN);

/** What the queue stores of each fake job: its `data` as JSON. */
const queueData = new Map<string, string>();

/** The few members of a BullMQ job the lifecycle reads, and what it writes back. */
function fakeJob(id: string, data: unknown) {
  queueData.set(id, JSON.stringify(data));
  const written: unknown[] = [];
  const job = {
    id,
    name: 'increments',
    data,
    timestamp: 1,
    updateData: (value: unknown) => {
      written.push(value);
      return Promise.resolve();
    },
  } as unknown as Job;
  return { job, written };
}

function setup() {
  const buffer = new FlushBuffer(2, nodeOf, 100);
  const events: string[] = [];
  const confirmed: Array<[string, readonly number[]]> = [];
  const failed: string[] = [];
  // No ring change in progress: every pair is placed, on the buffer's nodes.
  const placer = {
    retired: false,
    screen: (_id: string, _instance: string, pairs: ReadonlyArray<readonly [string, number]>) =>
      Promise.resolve({
        pairs: pairs.map(([n, d]): [string, number] => [n, d]),
        unapplied: [],
        dropped: 0,
      }),
    place: (job: HeldJob, placed: JobPayload) => buffer.add(job, placed),
  };
  const lifecycle = new HeldJobLifecycle(
    () => Promise.resolve(placer),
    {
      lockKeyOf: (id) => `bull:q:${id}:lock`,
      lockDurationMs: 1000,
      loadData: (id) => Promise.resolve(queueData.get(id) ?? null),
    },
    {
      held: () => events.push('held'),
      released: () => events.push('released'),
      confirmed: (id, nodes) => confirmed.push([id, nodes]),
      jobFailed: (e) => failed.push(e.reason),
      queueError: (err) => events.push(`queueError ${err.message}`),
    },
  );
  /** Takes a job and returns its held parts as the buffer groups them. */
  const take = async (job: Job) => {
    const settled = lifecycle.receive(job, 'token-1').then(
      () => undefined,
      (err: unknown) => err,
    );
    // receive() awaits the placer and the screening before it buffers the job.
    await new Promise((resolve) => setImmediate(resolve));
    const held = new Set<HeldJob>();
    for (const n of [0, 1]) for (const g of buffer.take(n)) for (const j of g.jobs) held.add(j);
    return { settled, held: [...held] };
  };
  return { lifecycle, events, confirmed, failed, take };
}

const payload = (c: Array<[string, number]>) => ({ v: 1, t: Date.now(), c });
/** A job with a part on node 0 and one on node 1. */
const onBothNodes = () =>
  payload([
    ['n0:a', 1],
    ['n1:b', 2],
  ]);

describe('HeldJobLifecycle', () => {
  it('holds a job until its last part is applied, then completes it; markers wait for the queue', async () => {
    const { lifecycle, events, confirmed, take } = setup();
    const { job } = fakeJob('j-1', onBothNodes());
    const { settled, held } = await take(job);
    const [h] = held;
    expect(h?.nodes).toEqual([0, 1]);
    expect(h?.lockKey).toBe('bull:q:j-1:lock');
    expect([lifecycle.count, events]).toEqual([1, ['held']]);
    lifecycle.partApplied(h!);
    expect(lifecycle.count).toBe(1);
    lifecycle.partApplied(h!);
    expect(await settled).toBeUndefined();
    expect([lifecycle.count, lifecycle.bytes, events]).toEqual([0, 0, ['held', 'released']]);
    // Only the queue's confirmation lets the markers shrink.
    expect(confirmed).toEqual([]);
    lifecycle.settled(job);
    lifecycle.settled(job);
    expect(confirmed).toEqual([['j-1', [0, 1]]]);
  });

  it('drops the parsed payload once buffered and reads it back from the queue when asked', async () => {
    const { lifecycle, take } = setup();
    const data = onBothNodes();
    const { job } = fakeJob('j-forget', data);
    const { held } = await take(job);
    const [h] = held;
    // Neither the held job nor BullMQ's Job keeps the pairs: the buffer has their sums.
    expect([h?.payload, job.data]).toEqual([undefined, undefined]);
    expect([h?.producedAt, h?.increments, h?.pairCount]).toEqual([data.t, 2, 2]);
    expect(await lifecycle.payloadOf(h!)).toEqual(data);
    // Gone from the queue (another worker completed it): nothing to read back.
    queueData.delete('j-forget');
    expect(await lifecycle.payloadOf(h!)).toBeUndefined();
  });

  it('fails a job with exactly what a node refused, and records it in the job (r)', async () => {
    const { lifecycle, failed, take } = setup();
    const { job, written } = fakeJob(
      'j-2',
      payload([
        ['n0:a', 1],
        ['n0:big', 5],
      ]),
    );
    const { settled, held } = await take(job);
    lifecycle.refused(held[0]!, [{ name: 'n0:big', delta: 5, node: 'a', error: 'overflow' }]);
    lifecycle.partApplied(held[0]!);
    const error = await settled;
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toContain('n0:big +5 on node a: overflow');
    expect(written).toEqual([expect.objectContaining({ r: [['n0:big', 5]] })]);
  });

  it('lets a lost job go without completing it, even if a part is reported later', async () => {
    const { lifecycle, events, confirmed, take } = setup();
    const { job } = fakeJob('j-3', onBothNodes());
    const { settled, held } = await take(job);
    lifecycle.partApplied(held[0]!);
    lifecycle.lost(held);
    expect(held[0]?.lost).toBe(true);
    expect(await settled).toBeInstanceOf(WaitingError);
    lifecycle.partApplied(held[0]!);
    lifecycle.settled(job);
    expect([lifecycle.count, confirmed, events]).toEqual([0, [], ['held', 'released']]);
  });

  it('fails a malformed job at once, naming why', async () => {
    const { lifecycle, failed } = setup();
    const { job } = fakeJob('bad-1', { v: 1, t: 1, c: [['', 1]] });
    await expect(lifecycle.receive(job, 'token')).rejects.toBeInstanceOf(UnrecoverableError);
    expect(failed).toHaveLength(1);
    expect(lifecycle.count).toBe(0);
  });

  it('at the shutdown deadline releases held jobs, and any handed out after, uncompleted', async () => {
    const { lifecycle, take } = setup();
    const { settled } = await take(fakeJob('j-4', payload([['n0:a', 1]])).job);
    lifecycle.releaseAll();
    expect(await settled).toBeInstanceOf(WaitingError);
    await expect(
      lifecycle.receive(fakeJob('j-5', payload([['n0:a', 1]])).job, 'token'),
    ).rejects.toBeInstanceOf(WaitingError);
  });
});
