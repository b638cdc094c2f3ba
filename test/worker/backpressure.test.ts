import { describe, expect, it } from 'vitest';
import { Backpressure, UNPLACED_JOBS, type BufferLoad } from '../../src/worker/backpressure.js';

const LIMITS = { maxBufferCounters: 100, maxBufferBytes: 1000, concurrency: 10 };

function setup(limits = LIMITS) {
  const calls: string[] = [];
  const admitted: number[] = [];
  const backpressure = new Backpressure(limits, {
    flush: () => calls.push('flush'),
    pause: () => calls.push('pause'),
    resume: () => calls.push('resume'),
    admit: (jobs) => admitted.push(jobs),
  });
  return { backpressure, calls, admitted };
}

const load = (l: Partial<BufferLoad>): BufferLoad => ({
  counters: 0,
  bytes: 0,
  jobsSinceFlush: 0,
  held: 0,
  ...l,
});

describe('Backpressure', () => {
  it('lets the queue hand out only a few jobs beyond those held, within the concurrency', () => {
    const { backpressure, admitted } = setup({ ...LIMITS, concurrency: 100 });
    // Before any job: a few, not the whole concurrency (BullMQ would fetch them all first).
    expect(admitted).toEqual([UNPLACED_JOBS]);
    backpressure.taken(load({ held: 1 }));
    backpressure.taken(load({ held: 1 }));
    backpressure.taken(load({ held: 90 }));
    // Jobs done: fewer admitted again, so their completions do not fetch a burst of jobs.
    backpressure.released({ bytes: 0, held: 10 });
    expect(admitted).toEqual([UNPLACED_JOBS, UNPLACED_JOBS + 1, 100, UNPLACED_JOBS + 10]);
  });

  it('flushes early at any limit: counters, bytes, or half the concurrency taken', () => {
    const { backpressure, calls } = setup();
    backpressure.taken(load({ counters: 99, bytes: 999, jobsSinceFlush: 4 }));
    expect(calls).toEqual([]);
    backpressure.taken(load({ counters: 100 }));
    backpressure.taken(load({ bytes: 1000 }));
    backpressure.taken(load({ jobsSinceFlush: 5 }));
    expect(calls).toEqual(['flush', 'flush', 'flush']);
  });

  it('stops taking jobs at twice the byte limit, once, and resumes below the limit', () => {
    const { backpressure, calls } = setup();
    backpressure.taken(load({ bytes: 2000 }));
    backpressure.taken(load({ bytes: 2500 }));
    expect(calls).toEqual(['flush', 'pause', 'flush']);
    calls.length = 0;
    // Between the limit and twice it: still paused (no flapping on every job).
    backpressure.released({ bytes: 1000, held: 0 });
    expect(calls).toEqual([]);
    backpressure.released({ bytes: 999, held: 0 });
    backpressure.released({ bytes: 10, held: 0 });
    expect(calls).toEqual(['resume']);
  });

  it('does not resume once stopped (the worker is closing)', () => {
    const { backpressure, calls } = setup();
    backpressure.taken(load({ bytes: 2000 }));
    backpressure.stop();
    backpressure.released({ bytes: 0, held: 0 });
    expect(calls).toEqual(['flush', 'pause']);
  });

  it('never resumes what it did not pause', () => {
    const { backpressure, calls } = setup();
    backpressure.released({ bytes: 0, held: 0 });
    expect(calls).toEqual([]);
  });
});
