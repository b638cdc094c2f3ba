import { createHash } from 'node:crypto';

/**
 * What tells one job apart from another that carries the same id: the producer's batch token
 * `b` when the payload has one, else a digest of the payload itself. Written into the job's
 * markers, so a marker left by another job with the same id (BullMQ's own numbering restarted,
 * a producer id reused) is not taken for this job's. A producer that re-adds the same batch
 * after a lost reply sends the same payload, hence the same instance: counted once.
 */
export function jobInstance(data: unknown): string {
  if (typeof data === 'object' && data !== null) {
    const b = (data as { b?: unknown }).b;
    if (typeof b === 'string' && b.length > 0) return b;
  }
  // Only jobs of other clients (and of countd 0.1) come here: the digest is not on the hot path.
  return `h${createHash('sha1').update(JSON.stringify(data)).digest('base64url').slice(0, 22)}`;
}
