import { incrementCount, jobInstance, type JobPayload } from '../jobs/index.js';

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
  /** The pair's epoch minute, for a version 2 job (recorded in `r` for the retry). */
  readonly minute?: number;
  readonly node: string;
  readonly error: string;
}

/**
 * A job taken from the queue and not yet durable everywhere. Its processor promise stays
 * pending until every node part is applied: a crash before that leaves the job to BullMQ's
 * stalled-job redelivery, so an acknowledged increment is never lost.
 *
 * Its payload is kept only until it is buffered (see {@link forgetPayload}): the buffer holds
 * the sums, and the rare paths that need the pairs again read them from the queue.
 *
 * Everyone may read its state; only `HeldJobLifecycle` changes it (the methods below),
 * so what a job's parts, refusals and fate are has one writer. Its lease is not here: the
 * lease is `JobLeases`'s state.
 */
export class HeldJob {
  readonly done: Promise<void>;
  /** Epoch ms of the job's oldest increment (`t`). */
  readonly producedAt: number;
  /** Increments the job stands for (`n`, or one per pair). */
  readonly increments: number;
  /** Pairs the job carries for this worker to apply. */
  readonly pairCount: number;
  private kept: JobPayload | undefined;
  private partNodes: readonly number[] = [];
  private pending = 0;
  private readonly refused: UnappliedIncrement[] = [];
  private isLost = false;
  private settle!: (error?: Error) => void;
  private settled = false;

  constructor(
    readonly id: string,
    payload: JobPayload,
    readonly bytes: number,
    readonly ownership: JobOwnership = { token: '', lockKey: '', instance: jobInstance(payload) },
  ) {
    this.kept = payload;
    this.producedAt = payload.t;
    this.increments = incrementCount(payload);
    this.pairCount = payload.c.length;
    this.done = new Promise<void>((resolve, reject) => {
      this.settle = (error) => (error === undefined ? resolve() : reject(error));
    });
  }

  /** The payload, until {@link forgetPayload}; then undefined (the queue still has it). */
  get payload(): JobPayload | undefined {
    return this.kept;
  }

  /**
   * Drops the parsed pairs once they are buffered: held for every job until it is durable, they
   * were most of a worker's heap under a backlog (docs/performance.md, "Worker memory").
   */
  forgetPayload(): void {
    this.kept = undefined;
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

  /** Indexes of the nodes this job has a part on. */
  get nodes(): readonly number[] {
    return this.partNodes;
  }

  /** Node parts not yet applied. */
  get pendingParts(): number {
    return this.pending;
  }

  /** Increments of this job a node refused (overflow, wrong type): the job fails with them. */
  get unapplied(): readonly UnappliedIncrement[] {
    return this.refused;
  }

  /** True once a claim found the job's lock gone: another worker owns it; nothing more is applied. */
  get lost(): boolean {
    return this.isLost;
  }

  /** The job's parts are buffered for `nodes`. */
  placed(nodes: readonly number[]): void {
    this.partNodes = nodes;
    this.pending = nodes.length;
  }

  /** One node part is durable; true when it was the last one. */
  partApplied(): boolean {
    this.pending--;
    return this.pending === 0 && !this.isLost;
  }

  /** A node refused these increments of the job. */
  addUnapplied(increments: readonly UnappliedIncrement[]): void {
    for (const increment of increments) this.refused.push(increment);
  }

  markLost(): void {
    this.isLost = true;
  }

  /** Settles the processor promise once; later calls do nothing. */
  finish(error?: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.settle(error);
  }
}
