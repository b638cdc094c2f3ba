import { createHash } from 'node:crypto';

/** What BullMQ says of a job beyond its data: its id and when it was added (epoch ms). */
export interface JobIdentity {
  readonly id: string;
  readonly timestamp: number;
}

/**
 * What tells one job apart from another that carries the same id, written into its markers
 * so a marker left by another job with that id is not taken for this job's:
 * - the producer's batch token `b` when the payload has one: a producer that re-adds the same
 *   batch after a lost reply sends the same token, so that copy is counted once;
 * - for an id BullMQ numbered itself (custom ids cannot be integers in BullMQ), the time the job
 *   was added: such a job is never a producer's retry, and the numbering restarts when a queue
 *   is obliterated;
 * - otherwise (jobs of other clients, of countd 0.1) a digest of the payload, so a re-added
 *   identical batch is still counted once.
 */
export function jobInstance(data: unknown, job?: JobIdentity): string {
  if (typeof data === 'object' && data !== null) {
    const b = (data as { b?: unknown }).b;
    if (typeof b === 'string' && b.length > 0) return b;
  }
  if (job !== undefined && /^\d+$/.test(job.id)) return `q${job.timestamp}`;
  // Only jobs of other clients come here: the digest is not on the hot path.
  return `h${createHash('sha1').update(JSON.stringify(data)).digest('base64url').slice(0, 22)}`;
}
