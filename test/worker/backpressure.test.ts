import { describe, expect, it } from 'vitest';
import { Backpressure, type BufferLoad } from '../../src/worker/backpressure.js';

const LIMITS = { maxBufferCounters: 100, maxBufferBytes: 1000, concurrency: 10 };

function setup() {
  const calls: string[] = [];
  const backpressure = new Backpressure(LIMITS, {
    flush: () => calls.push('flush'),
    pause: () => calls.push('pause'),
    resume: () => calls.push('resume'),
  });
  return { backpressure, calls };
}

const load = (l: Partial<BufferLoad>): BufferLoad => ({
  counters: 0,
  bytes: 0,
  jobsSinceFlush: 0,
  ...l,
});

describe('Backpressure', () => {
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
    backpressure.released({ bytes: 1000 });
    expect(calls).toEqual([]);
    backpressure.released({ bytes: 999 });
    backpressure.released({ bytes: 10 });
    expect(calls).toEqual(['resume']);
  });

  it('does not resume once stopped (the worker is closing)', () => {
    const { backpressure, calls } = setup();
    backpressure.taken(load({ bytes: 2000 }));
    backpressure.stop();
    backpressure.released({ bytes: 0 });
    expect(calls).toEqual(['flush', 'pause']);
  });

  it('never resumes what it did not pause', () => {
    const { backpressure, calls } = setup();
    backpressure.released({ bytes: 0 });
    expect(calls).toEqual([]);
  });
});
