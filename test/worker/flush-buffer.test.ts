import { describe, expect, it } from 'vitest';
import { FlushBuffer } from '../../src/worker/flush-buffer.js';
import type { FlushGroup } from '../../src/worker/flush-group.js';
import { HeldJob } from '../../src/worker/held-job.js';

/** Names say their node: `n2:views` lives on node 2. */
const nodeOf = (name: string): number => Number(/^n(\d+):/.exec(name)?.[1] ?? Number.NaN);

let seq = 0;
function job(pairs: Array<[string, number]>, id = `job-${++seq}`): HeldJob {
  return new HeldJob(id, { v: 1, t: 1, c: pairs }, 0);
}

/** Buffers a job's payload, as a worker does when it takes the job. */
const put = (buffer: FlushBuffer, held: HeldJob): number[] => buffer.add(held, held.payload!);

function deltas(group: FlushGroup | undefined): Record<string, number> {
  return Object.fromEntries(group?.deltas ?? []);
}

const ENTRY_BYTES = (name: string) => name.length * 2 + 48;

describe('FlushBuffer', () => {
  it('groups pairs by node and counts one part per node a job touches', () => {
    const buffer = new FlushBuffer(3, nodeOf, 100);
    const j = job([
      ['n0:a', 1],
      ['n2:b', 2],
      ['n0:c', 3],
      ['n2:d', 4],
    ]);
    expect(put(buffer, j)).toEqual([0, 2]);
    expect([0, 1, 2].map((n) => buffer.hasWork(n))).toEqual([true, false, true]);

    const [g0, ...more0] = buffer.take(0);
    expect(more0).toEqual([]);
    expect(deltas(g0)).toEqual({ 'n0:a': 1, 'n0:c': 3 });
    expect(g0?.jobs).toEqual([j]);
    expect(buffer.take(1)).toEqual([]);
    expect(deltas(buffer.take(2)[0])).toEqual({ 'n2:b': 2, 'n2:d': 4 });
    expect([0, 1, 2].map((n) => buffer.hasWork(n))).toEqual([false, false, false]);
  });

  it('sums a counter across jobs and within a job, and lists each job once per group', () => {
    const buffer = new FlushBuffer(1, () => 0, 100);
    const j1 = job([
      ['n0:x', 5],
      ['n0:x', -2],
      ['n0:y', 1],
    ]);
    const j2 = job([['n0:x', 10]]);
    expect(put(buffer, j1)).toEqual([0]);
    expect(put(buffer, j2)).toEqual([0]);
    expect(buffer.counters).toBe(2);
    const [group] = buffer.take(0);
    expect(deltas(group)).toEqual({ 'n0:x': 13, 'n0:y': 1 });
    expect(group?.jobs).toEqual([j1, j2]);
    expect(group?.commands).toBe(2);
  });

  it('seals a group before a job would push it past maxGroupCounters, never splitting a job’s part', () => {
    const buffer = new FlushBuffer(2, nodeOf, 5);
    const j1 = job([
      ['n0:a', 1],
      ['n0:b', 1],
      ['n0:c', 1],
    ]);
    const j2 = job([
      ['n0:d', 1],
      ['n0:e', 1],
      ['n0:f', 1],
    ]);
    // Bigger than a group on its own: it gets a group to itself, whole.
    const big = job(Array.from({ length: 8 }, (_, i): [string, number] => [`n0:big${i}`, 1]));
    const j3 = job([['n0:g', 1]]);
    for (const j of [j1, j2, big, j3]) expect(put(buffer, j)).toEqual([0]);

    const groups = buffer.take(0);
    expect(groups.map((g) => g.jobs.map((j) => j.id))).toEqual([
      [j1.id],
      [j2.id],
      [big.id],
      [j3.id],
    ]);
    expect(groups.map((g) => g.size)).toEqual([3, 3, 8, 1]);
    // Every job's part sits in exactly one group.
    for (const j of [j1, j2, big, j3]) {
      expect(groups.filter((g) => g.jobs.includes(j))).toHaveLength(1);
    }
  });

  it('fills a group up to maxGroupCounters exactly', () => {
    const buffer = new FlushBuffer(1, () => 0, 4);
    const j1 = job([
      ['a', 1],
      ['b', 1],
    ]);
    const j2 = job([
      ['c', 1],
      ['d', 1],
    ]);
    const j3 = job([['e', 1]]);
    for (const j of [j1, j2, j3]) put(buffer, j);
    expect(buffer.take(0).map((g) => g.jobs.map((j) => j.id))).toEqual([[j1.id, j2.id], [j3.id]]);
  });

  it('tracks counters and bytes per group, and gives them back on release', () => {
    const buffer = new FlushBuffer(2, nodeOf, 3);
    put(
      buffer,
      job([
        ['n0:alpha', 1],
        ['n1:beta', 1],
      ]),
    );
    put(
      buffer,
      job([
        ['n0:alpha', 2],
        ['n0:gamma', 1],
      ]),
    ); // alpha already there: not counted again
    put(buffer, job([['n0:delta', 1]])); // node 0's group is full (3)
    put(
      buffer,
      job([
        ['n0:alpha', 1],
        ['n0:eps', 1],
      ]),
    ); // 3 + 2 > 3: sealed, a new group
    // alpha is in two groups of node 0, each sending its own HINCRBY: counted in each.
    const entries = ['n0:alpha', 'n1:beta', 'n0:gamma', 'n0:delta', 'n0:alpha', 'n0:eps'];
    expect(buffer.counters).toBe(6);
    expect(buffer.bytes).toBe(entries.map(ENTRY_BYTES).reduce((x, y) => x + y));

    const groups0 = buffer.take(0);
    expect(groups0.map((g) => [...g.deltas.keys()])).toEqual([
      ['n0:alpha', 'n0:gamma', 'n0:delta'],
      ['n0:alpha', 'n0:eps'],
    ]);
    // Taken but not yet applied: still counted, so the buffer cannot grow unseen during a flush.
    expect(buffer.counters).toBe(6);
    buffer.release(groups0[0]!);
    expect(buffer.counters).toBe(3);
    buffer.release(groups0[1]!);
    expect(buffer.counters).toBe(1);
    expect(buffer.bytes).toBe(ENTRY_BYTES('n1:beta'));
    for (const g of buffer.take(1)) buffer.release(g);
    expect(buffer.counters).toBe(0);
    expect(buffer.bytes).toBe(0);
  });

  it('swaps groups out on take: what is added during a flush goes to a new group', () => {
    const buffer = new FlushBuffer(1, () => 0, 100);
    const j1 = job([['x', 1]]);
    put(buffer, j1);
    const [taken] = buffer.take(0);
    const j2 = job([['x', 5]]);
    put(buffer, j2);
    expect(deltas(taken)).toEqual({ x: 1 });
    expect(taken?.jobs).toEqual([j1]);
    const [next] = buffer.take(0);
    expect(deltas(next)).toEqual({ x: 5 });
    expect(next?.jobs).toEqual([j2]);
  });

  it('counts jobs since the last reset (the held-jobs flush trigger)', () => {
    const buffer = new FlushBuffer(1, () => 0, 100);
    expect(buffer.jobsSinceFlush).toBe(0);
    put(buffer, job([['x', 1]]));
    put(buffer, job([['y', 1]]));
    expect(buffer.jobsSinceFlush).toBe(2);
    buffer.resetJobsSinceFlush();
    expect(buffer.jobsSinceFlush).toBe(0);
    put(buffer, job([['z', 1]]));
    expect(buffer.jobsSinceFlush).toBe(1);
  });

  it('spills deltas whose sum would leave the safe-integer range into extra HINCRBYs', () => {
    const buffer = new FlushBuffer(1, () => 0, 100);
    const max = Number.MAX_SAFE_INTEGER;
    put(buffer, job([['big', max]]));
    put(
      buffer,
      job([
        ['big', max],
        ['small', 1],
      ]),
    );
    put(buffer, job([['big', -max]]));
    const [group] = buffer.take(0);
    expect(group?.spill).toEqual([['big', max]]);
    // max, then +max spilled, then -max summed with the first: 0 + spill max.
    expect(deltas(group)).toEqual({ big: 0, small: 1 });
    expect(group?.commands).toBe(3);
    const sent = [...(group?.deltas ?? [])]
      .concat(group?.spill ?? [])
      .filter(([n]) => n === 'big')
      .reduce((sum, [, d]) => sum + BigInt(d), 0n);
    expect(sent).toBe(BigInt(max));
  });
});

describe('FlushGroup.rebuild', () => {
  it('keeps only the remaining jobs and this node’s counters', () => {
    const buffer = new FlushBuffer(2, nodeOf, 100);
    const applied = job([
      ['n0:x', 1],
      ['n1:y', 1],
    ]);
    const rest = job([
      ['n0:x', 10],
      ['n0:z', 3],
      ['n1:y', 7],
    ]);
    put(buffer, applied);
    put(buffer, rest);
    const [group] = buffer.take(0);
    expect(deltas(group)).toEqual({ 'n0:x': 11, 'n0:z': 3 });
    group!.rebuild([{ job: rest, payload: rest.payload! }], (name) => nodeOf(name) === 0);
    expect(group?.jobs).toEqual([rest]);
    expect(deltas(group)).toEqual({ 'n0:x': 10, 'n0:z': 3 });
    expect(group?.spill).toEqual([]);
  });
});

describe('HeldJob', () => {
  it('is done when its last part is applied, and fails with the error given', async () => {
    const j = job([['x', 1]]);
    j.placed([0, 1]);
    expect([j.nodes, j.pendingParts]).toEqual([[0, 1], 2]);
    expect(j.partApplied()).toBe(false);
    expect(j.partApplied()).toBe(true);
    j.finish();
    await expect(j.done).resolves.toBeUndefined();

    const k = job([['x', 1]]);
    k.finish(new Error('refused'));
    await expect(k.done).rejects.toThrow('refused');
  });
});
