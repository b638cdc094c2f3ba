import type { JobPayload } from '../jobs/index.js';

/**
 * A job taken from the queue and not yet durable everywhere. Its processor promise stays
 * pending until every node part is applied: a crash before that leaves the job to BullMQ's
 * stalled-job redelivery, so an acknowledged increment is never lost.
 */
export class HeldJob {
  /** Node parts not yet applied. */
  pendingParts = 0;
  /** Counters of this job refused by a node (overflow, wrong type): the job fails with them. */
  refused: string[] | undefined;
  /** Indexes of the nodes this job has a part on (set by the buffer). */
  readonly nodes: number[] = [];
  readonly done: Promise<void>;
  private settle!: (error?: Error) => void;

  constructor(
    readonly id: string,
    readonly payload: JobPayload,
    readonly bytes: number,
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.settle = (error) => (error === undefined ? resolve() : reject(error));
    });
  }

  /** One node part is durable; true when it was the last one. */
  partApplied(): boolean {
    this.pendingParts--;
    return this.pendingParts === 0;
  }

  finish(error?: Error): void {
    this.settle(error);
  }
}
