import { describe, expect, it } from 'vitest';
import { bucketStart, epochMinute, STEP_MS } from '../../src/rollups/index.js';

describe('bucketStart', () => {
  const at = Date.parse('2025-03-30T01:59:59.999Z');

  it('aligns minutes, hours and days to UTC', () => {
    expect(new Date(bucketStart(at, STEP_MS.minute)).toISOString()).toBe(
      '2025-03-30T01:59:00.000Z',
    );
    expect(new Date(bucketStart(at, STEP_MS.hour)).toISOString()).toBe('2025-03-30T01:00:00.000Z');
    expect(new Date(bucketStart(at, STEP_MS.day)).toISOString()).toBe('2025-03-30T00:00:00.000Z');
  });

  it('puts a bucket start in its own bucket and the last millisecond in the one before', () => {
    const day = Date.parse('2025-01-01T00:00:00Z');
    expect(bucketStart(day, STEP_MS.day)).toBe(day);
    expect(bucketStart(day - 1, STEP_MS.day)).toBe(day - STEP_MS.day);
    expect(bucketStart(0, STEP_MS.hour)).toBe(0);
  });

  it('floors times before the epoch', () => {
    expect(bucketStart(-1, STEP_MS.minute)).toBe(-60_000);
  });
});

describe('epochMinute', () => {
  it('is floor(ms / 60000)', () => {
    expect(epochMinute(Date.parse('2025-11-18T10:01:59.999Z'))).toBe(
      Date.parse('2025-11-18T10:01:00Z') / 60_000,
    );
  });
});
