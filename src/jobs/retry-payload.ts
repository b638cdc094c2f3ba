import { createHash } from 'node:crypto';
import { MAX_BATCH_ID_LENGTH, type JobPayload } from './job-payload.js';
import { encodeJobPayload, type JobData } from './job-data.js';
import { jobInstance } from './job-instance.js';

/**
 * The payload (as stored) that re-applies what a failed job left unapplied (`r`, recorded by
 * the worker that failed it), exactly once: its pairs are `r` and its batch token is derived
 * from the failed job's instance, so the markers of the parts that were applied do not match
 * it, and a retry repeated after a crash derives the same token (counted once). A version 2
 * job's `r` carries each pair's minute: the retry counts them in their buckets.
 * Returns `undefined` when the payload records nothing unapplied.
 */
export function retryPayload(payload: JobPayload): JobData | undefined {
  const unapplied = payload.r;
  if (unapplied === undefined || unapplied.length === 0) return undefined;
  return encodeJobPayload({
    v: payload.v,
    t: payload.t,
    c: unapplied,
    ...(payload.m === undefined ? {} : { m: payload.m }),
    n: unapplied.length,
    b: retryToken(jobInstance(payload)),
  });
}

function retryToken(instance: string): string {
  const token = `${instance}.r`;
  if (token.length <= MAX_BATCH_ID_LENGTH) return token;
  return `r${createHash('sha1').update(token).digest('base64url')}`;
}
