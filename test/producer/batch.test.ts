import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Batch } from '../../src/producer/batch.js';

describe('Batch', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2030-01-02T03:04:05.000Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('stamps the time it was opened: the oldest increment, where lag starts', () => {
    const batch = new Batch();
    vi.advanceTimersByTime(250);
    batch.add('x', 1);
    expect(batch.oldest).toBe(Date.parse('2030-01-02T03:04:05.000Z'));
    expect(new Batch().oldest).toBe(Date.parse('2030-01-02T03:04:05.250Z'));
  });

  it('coalesces per counter and counts every increment taken', () => {
    const batch = new Batch();
    for (let i = 0; i < 1000; i++) expect(batch.add(`c${i % 10}`, 1)).toBe(true);
    batch.add('c0', -5);
    expect(batch.increments).toBe(1001);
    expect(batch.deltas.size).toBe(10);
    expect(batch.pairs()).toEqual([
      ['c0', 95],
      ...Array.from({ length: 9 }, (_, i): [string, number] => [`c${i + 1}`, 100]),
    ]);
  });

  it('drops counters whose increments sum to zero', () => {
    const batch = new Batch();
    batch.add('online', 1);
    batch.add('views', 3);
    batch.add('online', -1);
    expect(batch.pairs()).toEqual([['views', 3]]);
    expect(batch.increments).toBe(3);
  });

  it('refuses an increment whose sum would leave the safe-integer range, without taking it', () => {
    const batch = new Batch();
    expect(batch.add('big', Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(batch.add('big', 1)).toBe(false);
    expect(batch.increments).toBe(1);
    expect(batch.pairs()).toEqual([['big', Number.MAX_SAFE_INTEGER]]);
    expect(batch.add('big', -1)).toBe(true);
    expect(batch.add('big', Number.MIN_SAFE_INTEGER)).toBe(true);
    expect(batch.pairs()).toEqual([['big', -1]]);
  });

  it('settles one promise shared by all its increments', async () => {
    const ok = new Batch();
    ok.resolve();
    await expect(ok.promise).resolves.toBeUndefined();
    const failed = new Batch();
    failed.reject(new Error('queue down'));
    await expect(failed.promise).rejects.toThrow('queue down');
  });

  it('does not raise an unhandled rejection when nobody awaits a failed batch', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      new Batch().reject(new Error('nobody listens'));
      vi.useRealTimers();
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
