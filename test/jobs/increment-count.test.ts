import { describe, expect, it } from 'vitest';
import { MalformedJobError } from '../../src/errors/index.js';
import { incrementCount, parseJobPayload } from '../../src/jobs/index.js';

describe('the optional increment count n', () => {
  it('counts what the producer coalesced, pairs otherwise', () => {
    expect(incrementCount(parseJobPayload({ v: 1, t: 1, c: [['a', 5]], n: 7 }))).toBe(7);
    expect(
      incrementCount(
        parseJobPayload({
          v: 1,
          t: 1,
          c: [
            ['a', 5],
            ['b', 1],
          ],
        }),
      ),
    ).toBe(2);
    // +1 then -1 on one counter: two increments, no pair left.
    expect(incrementCount(parseJobPayload({ v: 1, t: 1, c: [], n: 2 }))).toBe(2);
  });

  it.each([[-1], [1.5], ['3'], [null], [2 ** 53]])('rejects n = %j with a reason', (n) => {
    expect(() => parseJobPayload({ v: 1, t: 1, c: [['a', 1]], n }, 'job-1')).toThrow(
      MalformedJobError,
    );
    expect(() => parseJobPayload({ v: 1, t: 1, c: [['a', 1]], n }, 'job-1')).toThrow(
      /"n" must be a count/,
    );
  });
});
