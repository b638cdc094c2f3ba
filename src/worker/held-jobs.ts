import type { HeldJob } from './held-job.js';

/** The jobs a worker holds until they are durable: how many, their bytes, how old. */
export class HeldJobs {
  private jobCount = 0;
  private byteCount = 0;
  /** Insertion order is the order jobs were taken: the first entries are the oldest. */
  private readonly producedAt = new Map<HeldJob, number>();

  add(job: HeldJob): void {
    this.jobCount++;
    this.byteCount += job.bytes;
    this.producedAt.set(job, job.producedAt);
  }

  remove(job: HeldJob): void {
    if (!this.producedAt.delete(job)) return;
    this.jobCount--;
    this.byteCount -= job.bytes;
  }

  get count(): number {
    return this.jobCount;
  }

  get bytes(): number {
    return this.byteCount;
  }

  jobs(): IterableIterator<HeldJob> {
    return this.producedAt.keys();
  }

  /**
   * Age of the oldest increment held, from the first jobs taken (a bounded look: jobs are
   * taken roughly in production order, close enough for an age gauge). 0 when none is held.
   */
  oldestAgeSeconds(now = Date.now()): number {
    let oldest = Infinity;
    let seen = 0;
    for (const t of this.producedAt.values()) {
      if (t < oldest) oldest = t;
      if (++seen >= 64) break;
    }
    return oldest === Infinity ? 0 : Math.max(0, now - oldest) / 1000;
  }
}
