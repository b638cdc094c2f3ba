import { describe, expect, it } from 'vitest';
import type { JobPayload } from '../../../../src/jobs/index.js';
import { ageText } from '../../../../workers/cli/commands/failed/failed-job-table.js';
import {
  planProblem,
  planRetry,
  type FailedJobFacts,
} from '../../../../workers/cli/commands/failed/retry-plan.js';
import {
  parseRetryRecords,
  retryRecordLine,
} from '../../../../workers/cli/commands/failed/retry-record.js';

const PAYLOAD: JobPayload = {
  v: 1,
  t: 1_700_000_000_000,
  c: [
    ['page:home', 1],
    ['n2:views', 5],
  ],
  b: 'batchToken000001',
};
const REFUSED = 'counters refused, the others were applied: 1 increment not applied: n2:views +5';

function facts(overrides: Partial<FailedJobFacts>): FailedJobFacts {
  return {
    id: 'p1-7',
    data: PAYLOAD,
    failedReason: REFUSED,
    attemptsMade: 1,
    records: [],
    ...overrides,
  };
}

describe('planRetry', () => {
  it('rewrites a job with r to exactly r under a token derived from its own', () => {
    const plan = planRetry(facts({ data: { ...PAYLOAD, r: [['n2:views', 5]] } }));
    expect(plan).toMatchObject({
      kind: 'unapplied',
      retried: { v: 1, t: PAYLOAD.t, c: [['n2:views', 5]], n: 1, b: 'batchToken000001.r' },
    });
    expect(planProblem(plan)).toBeUndefined();
    // Deterministic: a second run over the same data writes the same payload.
    expect(planRetry(facts({ data: { ...PAYLOAD, r: [['n2:views', 5]] } }))).toEqual(plan);
  });

  it('goes by r whatever the reason says', () => {
    const plan = planRetry(
      facts({ data: { ...PAYLOAD, r: [['n2:views', 5]] }, failedReason: 'stalled' }),
    );
    expect(plan.kind).toBe('unapplied');
  });

  it('re-queues as is a job failed for another reason', () => {
    expect(planRetry(facts({ failedReason: 'job stalled more than allowable limit' }))).toEqual({
      kind: 'whole',
      payload: PAYLOAD,
    });
  });

  it('refuses a refusal with no record of what was applied (countd 0.1.0)', () => {
    const plan = planRetry(facts({}));
    expect(plan.kind).toBe('unrecorded');
    expect(planProblem(plan)).toMatch(/would count those twice/);
  });

  it('knows its own rewrite only while the job was not processed since', () => {
    const records = [{ batch: 'batchToken000001', attempts: 1 }];
    expect(planRetry(facts({ records })).kind).toBe('rewritten');
    expect(planRetry(facts({ records, attemptsMade: 2 })).kind).toBe('unrecorded');
    expect(planRetry(facts({ records: [{ batch: 'other', attempts: 1 }] })).kind).toBe(
      'unrecorded',
    );
  });

  it('refuses malformed payloads and malformed or empty r', () => {
    const bad = planRetry(facts({ data: { v: 3, t: 1, c: [] } }));
    expect(bad).toMatchObject({
      kind: 'malformed',
      reason: expect.stringMatching(/^unsupported payload version/),
    });
    expect(planRetry(facts({ data: { v: 2, t: 1, c: [] } }))).toMatchObject({
      kind: 'malformed',
      reason: expect.stringMatching(/^"m" must be an epoch minute/),
    });
    expect(planProblem(bad)).toMatch(/cannot be applied as is/);
    expect(planRetry(facts({ data: 'junk' })).kind).toBe('malformed');
    expect(planRetry(facts({ data: { ...PAYLOAD, r: 'n2:views' } }))).toMatchObject({
      kind: 'malformed',
      reason: '"r" must be an array of [name, delta]',
    });
    expect(planRetry(facts({ data: { ...PAYLOAD, r: [['', 5]] } }))).toMatchObject({
      kind: 'malformed',
      reason: '"r": pair 0: counter name must not be empty',
    });
    const empty = planRetry(facts({ data: { ...PAYLOAD, r: [] } }));
    expect(empty.kind).toBe('nothing-left');
    expect(planProblem(empty)).toMatch(/no unapplied pairs/);
  });
});

describe('retry records', () => {
  it('round-trip through a job log, other lines ignored', () => {
    const line = retryRecordLine('batchToken000001.r', 2, 3);
    expect(line).toBe(
      'countd failed retry: payload rewritten to 2 unapplied pairs, batch batchToken000001.r, after attempt 3',
    );
    expect(parseRetryRecords(['something else', line, retryRecordLine('x.r', 1, 1)])).toEqual([
      { batch: 'batchToken000001.r', attempts: 3 },
      { batch: 'x.r', attempts: 1 },
    ]);
  });
});

describe('ageText', () => {
  it('reads at a glance', () => {
    expect([0, 59, 60, 3599, 3600, 47 * 3600, 48 * 3600].map(ageText)).toEqual([
      '0s',
      '59s',
      '1m',
      '59m',
      '1h',
      '47h',
      '2d',
    ]);
  });
});
