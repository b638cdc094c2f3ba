import { describe, expect, it } from 'vitest';
import { MalformedJobError } from '../../src/errors/index.js';
import { MAX_JOB_PAIRS, PAYLOAD_VERSION, parseJobPayload } from '../../src/jobs/index.js';
import { BAD_PAYLOADS, GOOD_EDGE_NAMES } from './bad-payloads.js';

function rejection(data: unknown, jobId?: string): MalformedJobError {
  try {
    parseJobPayload(data, jobId);
  } catch (err) {
    if (err instanceof MalformedJobError) return err;
    throw new Error(`expected a MalformedJobError, got ${String(err)}`, { cause: err });
  }
  throw new Error('expected the payload to be rejected');
}

describe('parseJobPayload', () => {
  it('accepts a valid payload and returns it as is', () => {
    const data = {
      v: 1,
      t: 1_700_000_000_000,
      c: [
        ['views', 3],
        ['stock', -2],
        ['zero', 0],
      ],
    };
    const parsed = parseJobPayload(data, 'p-1');
    expect(parsed).toBe(data);
    expect(parsed.v).toBe(PAYLOAD_VERSION);
  });

  it('accepts an empty batch, t = 0, extra fields and exactly MAX_JOB_PAIRS pairs', () => {
    expect(parseJobPayload({ v: 1, t: 0, c: [] }).c).toEqual([]);
    expect(parseJobPayload({ v: 1, t: 5, c: [], extra: 'ignored' }).t).toBe(5);
    const pairs = Array.from({ length: MAX_JOB_PAIRS }, (_, i) => [`p${i}`, 1]);
    expect(parseJobPayload({ v: 1, t: 1, c: pairs }).c).toHaveLength(MAX_JOB_PAIRS);
  });

  it.each(GOOD_EDGE_NAMES.map((name) => [name.slice(0, 24), name]))(
    'accepts the edge-case name %j',
    (_label, name) => {
      expect(parseJobPayload({ v: 1, t: 1, c: [[name, 1]] }).c[0]?.[0]).toBe(name);
    },
  );

  it('accepts the largest and smallest safe deltas', () => {
    const c = [
      ['max', Number.MAX_SAFE_INTEGER],
      ['min', Number.MIN_SAFE_INTEGER],
      ['negative zero', -0],
    ];
    expect(parseJobPayload({ v: 1, t: 1, c }).c).toHaveLength(3);
  });

  it(`has at least 40 malformed cases`, () => {
    expect(BAD_PAYLOADS.length).toBeGreaterThanOrEqual(40);
  });

  it.each(BAD_PAYLOADS.map((c) => [c.label, c] as const))('rejects %s', (_label, bad) => {
    const error = rejection(bad.data, 'job-7');
    expect(error.name).toBe('MalformedJobError');
    expect(error.jobId).toBe('job-7');
    expect(error.message).toMatch(/^malformed job job-7: /);
    expect(error.message).toContain(error.reason);
    for (const pattern of bad.reason) expect(error.reason).toMatch(pattern);
  });

  it('names the first bad pair when several are bad', () => {
    const error = rejection({
      v: 1,
      t: 1,
      c: [
        ['ok', 1],
        ['', 1],
        ['x', 1.5],
      ],
    });
    expect(error.reason).toBe('pair 1: counter name must not be empty');
    expect(error.jobId).toBeUndefined();
    expect(error.message).toBe('malformed job: pair 1: counter name must not be empty');
  });

  it('keeps reasons short when the offending value is long', () => {
    const error = rejection('y'.repeat(10_000));
    expect(error.reason.length).toBeLessThan(120);
  });

  it('counts the 10,001st pair before looking at pair contents', () => {
    const pairs: unknown[] = Array.from({ length: MAX_JOB_PAIRS + 1 }, () => 'not a pair');
    expect(rejection({ v: 1, t: 1, c: pairs }).reason).toMatch(/more than 10000/);
  });
});
