import { describe, expect, it } from 'vitest';
import { requestBatch, type IncrementEntry } from '../../src/gateway/index.js';
import { MAX_JOB_PAIRS } from '../../src/jobs/index.js';

describe('requestBatch', () => {
  it('sums per counter in first-seen order, drops zero sums, counts every entry', () => {
    const entries: IncrementEntry[] = [
      ['n2:views', 1],
      ['n2:online', 1],
      ['n2:views', 2],
      ['n2:online', -1],
    ];
    expect(requestBatch(entries)).toEqual({ ok: true, pairs: [['n2:views', 3]], increments: 4 });
  });

  it('refuses a counter whose sum in the request leaves the safe range, naming the entry', () => {
    const big = Number.MAX_SAFE_INTEGER;
    const batch = requestBatch([
      ['a', big],
      ['b', 1],
      ['a', 1],
    ]);
    expect(batch).toMatchObject({ ok: false, index: 2 });
  });

  it(`refuses more than ${MAX_JOB_PAIRS} distinct counters (one request is one job)`, () => {
    const entries: IncrementEntry[] = [];
    for (let i = 0; i <= MAX_JOB_PAIRS; i++) entries.push([`c${i}`, 1]);
    expect(requestBatch(entries)).toMatchObject({ ok: false, index: MAX_JOB_PAIRS });
    expect(requestBatch(entries.slice(0, MAX_JOB_PAIRS))).toMatchObject({ ok: true });
  });
});
