import { describe, expect, it } from 'vitest';
import { idempotencyKeyProblem, idempotentJob } from '../../src/gateway/index.js';
import { parseJobPayload } from '../../src/jobs/index.js';

describe('idempotentJob', () => {
  it('derives the same job id and batch token from the same key, others from another', () => {
    expect(idempotentJob('order-42')).toEqual(idempotentJob('order-42'));
    expect(idempotentJob('order-43').jobId).not.toBe(idempotentJob('order-42').jobId);
    expect(idempotentJob('order-43').batchToken).not.toBe(idempotentJob('order-42').batchToken);
  });

  it('gives a batch token the payload accepts and a job id BullMQ accepts', () => {
    const { jobId, batchToken } = idempotentJob('any key: with spaces and ü');
    expect(jobId).toMatch(/^idem-[A-Za-z0-9_-]{43}$/);
    expect(() => parseJobPayload({ v: 1, t: 0, c: [['a', 1]], b: batchToken })).not.toThrow();
  });
});

describe('idempotencyKeyProblem', () => {
  it.each(['k', 'order-42', 'x'.repeat(255), '9f1c2d3e-uuid-like'])('accepts %s', (key) => {
    expect(idempotencyKeyProblem(key)).toBeUndefined();
  });

  it.each(['', 'x'.repeat(256), 'with space', 'tab\t', 'é'])('refuses %j', (key) => {
    expect(idempotencyKeyProblem(key)).toContain('1-255 visible ASCII');
  });
});
