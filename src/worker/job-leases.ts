import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { HeldJob } from './held-job.js';

const CLAIM_SCRIPT = readFileSync(new URL('../scripts/claim-jobs.lua', import.meta.url), 'utf8');

interface ClaimCommand {
  countdClaimJobs(numKeys: number, args: Array<string | number>): Promise<unknown>;
}

/** What a claim proved: until `deadline` (the queue Redis's clock) the jobs are this worker's. */
export interface Lease {
  readonly deadline: number;
  /** Jobs whose lock is gone or another worker's: not this worker's any more. */
  readonly lost: readonly HeldJob[];
}

/**
 * Ownership of held jobs, proven on the queue Redis before their increments are applied.
 * BullMQ redelivers a job only after its lock key expired; a claim extends the locks this
 * worker still holds and yields a deadline (`now + lock duration - max clock skew`) that the
 * storage node compares with its own clock inside the apply. An apply that reaches a node
 * after its deadline (the worker was stopped between claim and apply, for any length of time)
 * is refused there, so it can never land after another worker took the jobs over.
 */
export class JobLeases {
  /**
   * The last claim of each job: its deadline (queue Redis clock) and when it was asked (local).
   * Weak: a job let go (completed, failed, lost) needs no clean-up here.
   */
  private readonly leases = new WeakMap<
    HeldJob,
    { readonly deadline: number; readonly at: number }
  >();

  constructor(
    private readonly queue: Redis,
    private readonly stalledKey: string,
    private readonly lockDurationMs: number,
    private readonly maxClockSkewMs: number,
  ) {
    if (!('countdClaimJobs' in queue))
      queue.defineCommand('countdClaimJobs', { lua: CLAIM_SCRIPT });
  }

  /**
   * A lease covering every job of `jobs`. Jobs whose last claim still has more than half its
   * time left (by this process's clock, which only decides when to claim again; the node
   * decides what is stale) are not claimed again, so a job costs the queue one claim per half
   * lock duration, not one per node part.
   */
  async cover(jobs: readonly HeldJob[]): Promise<Lease> {
    const now = performance.now();
    const half = (this.lockDurationMs - this.maxClockSkewMs) / 2;
    const stale = jobs.filter((job) => {
      const lease = this.leases.get(job);
      return lease === undefined || now - lease.at > half;
    });
    const lost = stale.length > 0 ? await this.claim(stale) : [];
    // A lost job's lease is cleared by claim(): the remaining leases bound the deadline.
    let deadline = Infinity;
    for (const job of jobs) {
      const lease = this.leases.get(job);
      if (lease !== undefined) deadline = Math.min(deadline, lease.deadline);
    }
    return { deadline, lost };
  }

  /** Forgets the leases of `jobs`: a node said their deadline passed; the next cover claims them. */
  expire(jobs: readonly HeldJob[]): void {
    for (const job of jobs) this.leases.delete(job);
  }

  private async claim(jobs: readonly HeldJob[]): Promise<HeldJob[]> {
    const keys = [this.stalledKey, ...jobs.map((job) => job.lockKey)];
    const args: Array<string | number> = [
      ...keys,
      this.lockDurationMs,
      ...jobs.map((job) => job.token),
      ...jobs.map((job) => job.id),
    ];
    const asked = performance.now();
    const reply = await (this.queue as unknown as ClaimCommand).countdClaimJobs(keys.length, args);
    if (!Array.isArray(reply) || typeof reply[0] !== 'number')
      throw new Error(`unexpected reply from claim script: ${JSON.stringify(reply).slice(0, 200)}`);
    const deadline = reply[0] + this.lockDurationMs - this.maxClockSkewMs;
    const lost = new Set(reply.slice(1).map((i) => jobs[Number(i) - 1]));
    const out: HeldJob[] = [];
    for (const job of jobs) {
      if (lost.has(job)) {
        this.leases.delete(job);
        out.push(job);
      } else {
        this.leases.set(job, { deadline, at: asked });
      }
    }
    return out;
  }
}
