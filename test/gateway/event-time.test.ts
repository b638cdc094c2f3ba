import { describe, expect, it } from 'vitest';
import { eventTimeProblem } from '../../src/gateway/index.js';

describe('eventTimeProblem', () => {
  it.each([0, 1_700_000_000_000, '2025-01-31T12:00:00Z', '2025-01-31T13:00:00.250+01:00'])(
    'takes %j as a time',
    (at) => {
      expect(eventTimeProblem(at)).toBeUndefined();
    },
  );

  it.each([
    [-1, 'is not epoch milliseconds'],
    [1.5, 'is not epoch milliseconds'],
    [9e15, 'is not epoch milliseconds'],
    ['2025-01-31', 'is not an RFC 3339 time with a zone'],
    ['2025-01-31T12:00:00', 'with a zone'],
    ['2025-13-31T12:00:00Z', 'with a zone'],
    [null, 'got null'],
    [true, 'got boolean'],
  ])('refuses %j', (at, problem) => {
    expect(eventTimeProblem(at)).toContain(problem);
  });
});
