import { describe, expect, it } from 'vitest';
import { formatRollups, parseRollups } from '../../src/rollups/index.js';
import { configErrorOf } from '../config/config-error-of.js';

const SETTING = 'COUNTD_ROLLUPS';
const errorOf = (spec: string) => configErrorOf(() => parseRollups(spec, SETTING), spec);

describe('parseRollups', () => {
  it('parses the documented spec, finest first whatever the order', () => {
    const rollups = parseRollups('day:400d, minute:48h,hour:35d', SETTING);
    expect(rollups).toEqual([
      { granularity: 'minute', stepMs: 60_000, retentionMs: 48 * 3_600_000 },
      { granularity: 'hour', stepMs: 3_600_000, retentionMs: 35 * 86_400_000 },
      { granularity: 'day', stepMs: 86_400_000, retentionMs: 400 * 86_400_000 },
    ]);
    expect(Object.isFrozen(rollups)).toBe(true);
  });

  it('takes every unit, and empty text as no rollups', () => {
    expect(parseRollups('minute:90s', SETTING)[0]?.retentionMs).toBe(90_000);
    expect(parseRollups('minute:90m', SETTING)[0]?.retentionMs).toBe(90 * 60_000);
    expect(parseRollups('hour:1h', SETTING)[0]?.retentionMs).toBe(3_600_000);
    expect(parseRollups('day:3660d', SETTING)[0]?.retentionMs).toBe(3660 * 86_400_000);
    expect(parseRollups('', SETTING)).toEqual([]);
    expect(parseRollups('  ', SETTING)).toEqual([]);
  });

  it('refuses malformed specs with a ConfigError naming COUNTD_ROLLUPS', () => {
    const cases: Array<[string, RegExp]> = [
      ['week:30d', /unknown granularity "week"/],
      ['minute:48h,minute:2d', /"minute" is given twice/],
      ['minute:48', /retention of minute: "48" is not a duration/],
      ['minute:-1h', /retention of minute: .* is not a duration/],
      ['minute:0s', /not a positive duration/],
      ['hour:30m', /retention of hour 30m is shorter than one hour/],
      ['day:3661d', /longer than 3660 days/],
      ['minute', /is not <granularity>:<retention>/],
      ['minute:48h,', /has an empty entry/],
    ];
    for (const [spec, message] of cases) {
      const error = errorOf(spec);
      expect(error.setting).toBe(SETTING);
      expect(error.message).toMatch(/^COUNTD_ROLLUPS: /);
      expect(error.message).toMatch(message);
    }
  });
});

describe('formatRollups', () => {
  it('writes the canonical form, which parses back to the same rollups', () => {
    const rollups = parseRollups('hour:840h,minute:2880m,day:400d', SETTING);
    const text = formatRollups(rollups);
    expect(text).toBe('minute:2d,hour:35d,day:400d');
    expect(parseRollups(text, SETTING)).toEqual(rollups);
    expect(formatRollups([])).toBe('');
  });
});
