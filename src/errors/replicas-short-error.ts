import { CountdError } from './countd-error.js';

/**
 * Fewer replicas than required acknowledged a write within the wait (`WAIT` returned short):
 * the write is on the primary but not yet durable in the sense asked for. Retried, never final.
 */
export class ReplicasShortError extends CountdError {
  constructor(
    /** The storage node id, or `queue`. */
    readonly target: string,
    readonly acknowledged: number,
    readonly required: number,
    readonly waitMs: number,
  ) {
    super(
      `${target === 'queue' ? 'queue Redis' : `storage node ${target}`}: ${acknowledged} of ` +
        `${required} required replica(s) acknowledged within ${waitMs} ms (COUNTD_MIN_REPLICAS); retrying`,
    );
  }
}
