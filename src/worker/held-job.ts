import { jobInstance, type JobPayload } from '../jobs/index.js';

/** How a worker proves it owns a job: BullMQ's lock key and the token this worker holds it by. */
export interface JobOwnership {
  readonly token: string;
  readonly lockKey: string;
  /** What tells this job from another with the same id (see `jobInstance`): the marker value. */
  readonly instance: string;
}

/** An increment of the job that a node refused, with the node's reason. */
export interface UnappliedIncrement {
  readonly name: string;
  readonly delta: number;
  readonly node: string;
  readonly error: string;
}

/**
 * A job taken from the queue and not yet durable everywhere. Its processor promise stays
 * pending until every node part is applied: a crash before that leaves the job to BullMQ's
 * stalled-job redelivery, so an acknowledged increment is never lost.
 */
export class HeldJob {
  /** Node parts not yet applied. */
  pendingParts = 0;
  /** Increments of this job a node refused (overflow, wrong type): the job fails with them. */
  readonly unapplied: UnappliedIncrement[] = [];
  /** Indexes of the nodes this job has a part on (set by the buffer). */
  readonly nodes: number[] = [];
  /** The last claim of this job: its deadline (queue Redis clock) and when it was asked (local). */
  lease: { readonly deadline: number; readonly at: number } | undefined;
  /** Set once a claim found the job's lock gone: another worker owns it; nothing more is applied. */
  lost = false;
  readonly done: Promise<void>;
  private settle!: (error?: Error) => void;
  private settled = false;

  constructor(
    readonly id: string,
    readonly payload: JobPayload,
    readonly bytes: number,
    readonly ownership: JobOwnership = { token: '', lockKey: '', instance: jobInstance(payload) },
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.settle = (error) => (error === undefined ? resolve() : reject(error));
    });
  }

  get token(): string {
    return this.ownership.token;
  }

  get lockKey(): string {
    return this.ownership.lockKey;
  }

  get instance(): string {
    return this.ownership.instance;
  }

  /** One node part is durable; true when it was the last one. */
  partApplied(): boolean {
    this.pendingParts--;
    return this.pendingParts === 0 && !this.lost;
  }

  /** Settles the processor promise once; later calls do nothing. */
  finish(error?: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.settle(error);
  }
}
