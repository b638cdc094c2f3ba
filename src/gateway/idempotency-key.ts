import { createHash } from 'node:crypto';

/** Longest `Idempotency-Key`, in characters. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/** The job a keyed request becomes, the same for every request with that key. */
export interface IdempotentJob {
  /** BullMQ job id: BullMQ adds no second job under an id it still holds. */
  readonly jobId: string;
  /** The payload's batch token `b`: the instance in the storage nodes' markers. */
  readonly batchToken: string;
}

/** Why `key` is not an `Idempotency-Key`, or `undefined`: 1-255 visible ASCII characters. */
export function idempotencyKeyProblem(key: string): string | undefined {
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(key))
    return `Idempotency-Key must be 1-${MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters`;
  return undefined;
}

/**
 * The job id and batch token of a keyed request, derived from the key alone: the same key sent
 * again (a client's retry, whatever became of the first attempt) meets the same job in BullMQ,
 * which refuses to add it twice, and the same markers on the nodes. A digest, so the id has a
 * fixed length and alphabet whatever the key holds. Prefixed `idem-`, which a producer's
 * `<producerId>-<seq>` ids never equal (their seq is a number).
 */
export function idempotentJob(key: string): IdempotentJob {
  const digest = (domain: string) =>
    createHash('sha256').update(`countd-gateway\0${domain}\0${key}`).digest('base64url');
  return { jobId: `idem-${digest('job')}`, batchToken: `idem.${digest('batch')}` };
}
