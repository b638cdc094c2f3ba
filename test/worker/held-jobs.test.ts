import { describe, expect, it } from 'vitest';
import { HeldJob } from '../../src/worker/held-job.js';
import { HeldJobs } from '../../src/worker/held-jobs.js';

const job = (id: string, t: number, bytes: number) =>
  new HeldJob(id, { v: 1, t, c: [['a', 1]] }, bytes);

describe('HeldJobs', () => {
  it('counts jobs and bytes, and forgets a job once', () => {
    const held = new HeldJobs();
    const a = job('a', 1000, 100);
    const b = job('b', 2000, 50);
    held.add(a);
    held.add(b);
    expect([held.count, held.bytes]).toEqual([2, 150]);
    held.remove(a);
    held.remove(a);
    expect([held.count, held.bytes]).toEqual([1, 50]);
    expect([...held.jobs()]).toEqual([b]);
  });

  it('reports the age of the oldest increment held, 0 when empty', () => {
    const held = new HeldJobs();
    expect(held.oldestAgeSeconds(10_000)).toBe(0);
    held.add(job('late', 9000, 1));
    held.add(job('early', 4000, 1));
    expect(held.oldestAgeSeconds(10_000)).toBe(6);
  });
});
