import { describe, expect, it } from 'vitest';
import { MalformedJobError } from '../../src/errors/index.js';
import {
  MAX_JOB_PAIRS,
  encodeJobPayload,
  pairMinute,
  parseJobPayload,
  retryPayload,
} from '../../src/jobs/index.js';

const T = Date.parse('2025-11-18T10:00:30Z');
const MINUTE = Math.floor(T / 60_000);

function reason(data: unknown): string {
  try {
    parseJobPayload(data, 'job-9');
  } catch (err) {
    if (err instanceof MalformedJobError) {
      expect(err.jobId).toBe('job-9');
      return err.reason;
    }
    throw err;
  }
  throw new Error('expected the payload to be rejected');
}

describe('parseJobPayload, version 2', () => {
  it('reads a flat c with one minute for every pair', () => {
    const parsed = parseJobPayload({
      v: 2,
      t: T,
      c: ['page:home', 3, 'cart:add', -1],
      m: MINUTE - 5,
      n: 7,
      b: 'tok',
    });
    expect(parsed).toMatchObject({ v: 2, t: T, m: MINUTE - 5, n: 7, b: 'tok' });
    expect(parsed.c).toEqual([
      ['page:home', 3],
      ['cart:add', -1],
    ]);
    expect(parsed.c.map((p) => pairMinute(parsed, p))).toEqual([MINUTE - 5, MINUTE - 5]);
  });

  it('reads one minute per pair from an array m', () => {
    const parsed = parseJobPayload({ v: 2, t: T, c: ['a', 1, 'a', 2, 'b', 5], m: [10, 11, 10] });
    expect(parsed.m).toBeUndefined();
    expect(parsed.c).toEqual([
      ['a', 1, 10],
      ['a', 2, 11],
      ['b', 5, 10],
    ]);
    expect(parsed.c.map((p) => pairMinute(parsed, p))).toEqual([10, 11, 10]);
  });

  it('accepts an empty batch and exactly MAX_JOB_PAIRS pairs', () => {
    expect(parseJobPayload({ v: 2, t: 0, c: [], m: 0 }).c).toEqual([]);
    const c = Array.from({ length: MAX_JOB_PAIRS }, (_, i) => [`p${i}`, 1]).flat();
    expect(parseJobPayload({ v: 2, t: 1, c, m: 0 }).c).toHaveLength(MAX_JOB_PAIRS);
  });

  it('names what is wrong, with the pair index', () => {
    const cases: Array<[unknown, RegExp]> = [
      [
        {
          v: 2,
          t: T,
          c: [
            ['a', 1],
            ['b', 2],
          ],
          m: 1,
        },
        /pair 0: counter name/,
      ],
      [{ v: 2, t: T, c: ['a', 1, 'b'], m: 1 }, /"c" has 3 items: .* even number/],
      [{ v: 2, t: T, c: { a: 1 }, m: 1 }, /"c" must be a flat array/],
      [{ v: 2, t: T, c: ['a', 1, 'b', 1.5], m: 1 }, /pair 1 \(b\): delta/],
      [{ v: 2, t: T, c: ['a', 1, '', 1], m: 1 }, /pair 1: counter name/],
      [{ v: 2, t: T, c: ['a', 1] }, /"m" must be an epoch minute or an array/],
      [{ v: 2, t: T, c: ['a', 1], m: -1 }, /"m" must be an epoch minute/],
      [{ v: 2, t: T, c: ['a', 1], m: 1.5 }, /"m" must be an epoch minute/],
      [{ v: 2, t: T, c: ['a', 1], m: '29390401' }, /"m" must be an epoch minute/],
      [{ v: 2, t: T, c: ['a', 1, 'b', 2], m: [1] }, /"m" has 1 minutes for 2 pairs/],
      [{ v: 2, t: T, c: ['a', 1, 'b', 2], m: [1, 'x'] }, /pair 1 \(b\): minute must be/],
      [{ v: 2, t: T, c: ['a', 1, 'b', 2], m: [1, 1e15] }, /pair 1 \(b\): minute must be/],
      [
        { v: 2, t: T, c: Array.from({ length: MAX_JOB_PAIRS + 1 }, () => ['x', 1]).flat(), m: 0 },
        /"c" has 10001 pairs, more than 10000/,
      ],
    ];
    for (const [data, message] of cases) expect(reason(data)).toMatch(message);
  });

  it('still reads version 1, as is', () => {
    const data = { v: 1, t: T, c: [['views', 3]] };
    const parsed = parseJobPayload(data);
    expect(parsed).toBe(data);
    expect(pairMinute(parsed, parsed.c[0]!)).toBe(MINUTE);
  });
});

describe('encodeJobPayload', () => {
  it('writes version 2 flat, m one number when every pair has the same minute', () => {
    const data = { v: 2, t: T, c: ['a', 1, 'b', 2], m: 5, n: 3, b: 'x' } as const;
    expect(encodeJobPayload(parseJobPayload(data))).toEqual(data);
    const mixed = { v: 2, t: T, c: ['a', 1, 'b', 2], m: [5, 6] } as const;
    expect(encodeJobPayload(parseJobPayload(mixed))).toEqual(mixed);
  });

  it('writes version 1 nested, without minutes', () => {
    const parsed = parseJobPayload({ v: 2, t: T, c: ['a', 1], m: 5 });
    expect(encodeJobPayload(parsed, 1)).toEqual({ v: 1, t: T, c: [['a', 1]] });
  });
});

describe('retryPayload of a version 2 job', () => {
  it('re-queues the unapplied pairs in their minutes, stored flat', () => {
    const failed = parseJobPayload({
      v: 2,
      t: T,
      c: ['a', 1, 'b', 2],
      m: [5, 6],
      b: 'tok',
      r: [['b', 2, 6]],
    });
    const retried = retryPayload(failed);
    expect(retried).toEqual({ v: 2, t: T, c: ['b', 2], m: 6, n: 1, b: 'tok.r' });
    expect(parseJobPayload(retried).c).toEqual([['b', 2]]);
  });
});
