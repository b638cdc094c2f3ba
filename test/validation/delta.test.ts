import { describe, expect, it } from 'vitest';
import { deltaProblem } from '../../src/validation/index.js';

describe('deltaProblem', () => {
  it.each([0, 1, -1, 2 ** 52, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, -0])(
    'accepts %s',
    (delta) => {
      expect(deltaProblem(delta)).toBeUndefined();
    },
  );

  it.each([
    [1.5, '1.5 is not an integer'],
    [-0.1, '-0.1 is not an integer'],
    [Number.NaN, 'NaN is not an integer'],
    [Number.POSITIVE_INFINITY, 'Infinity is not an integer'],
    [2 ** 53, '9007199254740992 is outside the safe integer range (±2^53-1)'],
    [-(2 ** 53), '-9007199254740992 is outside the safe integer range (±2^53-1)'],
    ['1', 'must be a number, got string'],
    [null, 'must be a number, got null'],
    [undefined, 'must be a number, got undefined'],
    [1n, 'must be a number, got bigint'],
    [true, 'must be a number, got boolean'],
  ])('rejects %s', (delta, problem) => {
    expect(deltaProblem(delta)).toBe(problem);
  });
});
