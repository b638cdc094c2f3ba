import type { HeldJob } from './held-job.js';

/** Rough heap cost of one buffered counter entry beyond its name (Map slot, boxed number). */
const ENTRY_OVERHEAD_BYTES = 48;

/**
 * Increments for one node that are applied together by one atomic script, with the markers of
 * every job that contributed. A job's part for a node lies wholly in one group.
 */
export class FlushGroup {
  deltas = new Map<string, number>();
  /**
   * Deltas that could not be summed into `deltas` without leaving the safe-integer range.
   * They are sent as extra HINCRBYs on the same field in the same script: Redis adds in int64.
   */
  spill: Array<[string, number]> = [];
  readonly jobs: HeldJob[] = [];
  /** Counters and bytes this group added to the buffer's figures, given back on release. */
  accountedCounters = 0;
  accountedBytes = 0;

  /** Adds a delta; returns the bytes the buffer grew by (0 when the counter was already here). */
  add(name: string, delta: number): number {
    if (!this.sum(name, delta)) return 0;
    const bytes = name.length * 2 + ENTRY_OVERHEAD_BYTES;
    this.accountedCounters++;
    this.accountedBytes += bytes;
    return bytes;
  }

  get size(): number {
    return this.deltas.size;
  }

  /** HINCRBY commands this group costs. */
  get commands(): number {
    return this.deltas.size + this.spill.length;
  }

  /** Rebuilds the deltas from the jobs still in the group (after some were found already applied). */
  rebuild(jobs: readonly HeldJob[], onNode: (name: string) => boolean): void {
    this.jobs.length = 0;
    this.deltas = new Map();
    this.spill = [];
    for (const job of jobs) {
      this.jobs.push(job);
      for (const [name, delta] of job.payload.c) {
        // The buffer's figures keep what the group first added: release gives back exactly that.
        if (onNode(name)) this.sum(name, delta);
      }
    }
  }

  /** Sums `delta` into the counter's delta, or spills it; true when the counter is new here. */
  private sum(name: string, delta: number): boolean {
    const current = this.deltas.get(name);
    if (current === undefined) {
      this.deltas.set(name, delta);
      return true;
    }
    const sum = current + delta;
    if (Number.isSafeInteger(sum)) this.deltas.set(name, sum);
    else this.spill.push([name, delta]);
    return false;
  }
}
