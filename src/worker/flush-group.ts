import type { BucketPlan } from './bucket-plan.js';
import type { HeldJob } from './held-job.js';

/** Rough heap cost of one buffered counter entry beyond its name (Map slot, boxed number). */
const ENTRY_OVERHEAD_BYTES = 48;

/**
 * Increments for one node that are applied together by one atomic script, with the markers of
 * every job that contributed. A job's part for a node lies wholly in one group: its totals and
 * its time buckets alike, so they land under the same markers.
 */
export class FlushGroup {
  deltas = new Map<string, number>();
  /**
   * Deltas that could not be summed into `deltas` without leaving the safe-integer range.
   * They are sent as extra HINCRBYs on the same field in the same script: Redis adds in int64.
   */
  spill: Array<[string, number]> = [];
  /** Per bucket name (see BucketPlan), what the counter grew by in that bucket. Empty without rollups. */
  buckets = new Map<string, number>();
  /** As `spill`, for `buckets`. */
  bucketSpill: Array<[string, number]> = [];
  readonly jobs: HeldJob[] = [];
  /** Counters and bytes this group added to the buffer's figures, given back on release. */
  accountedCounters = 0;
  accountedBytes = 0;

  constructor(private readonly plan?: BucketPlan) {}

  /** Adds a delta; returns the bytes the buffer grew by (0 when the counter was already here). */
  add(name: string, delta: number): number {
    if (!sum(this.deltas, this.spill, name, delta)) return 0;
    const bytes = name.length * 2 + ENTRY_OVERHEAD_BYTES;
    this.accountedCounters++;
    this.accountedBytes += bytes;
    return bytes;
  }

  /** Adds a delta to the bucket `bucket` (a BucketPlan name); returns the bytes the buffer grew by. */
  addToBucket(bucket: string, delta: number): number {
    if (!sum(this.buckets, this.bucketSpill, bucket, delta)) return 0;
    const bytes = bucket.length * 2 + ENTRY_OVERHEAD_BYTES;
    this.accountedBytes += bytes;
    return bytes;
  }

  /** Distinct counters (totals) in the group. */
  get size(): number {
    return this.deltas.size;
  }

  /** Distinct fields the apply writes, bucket fields included: what `maxScriptCounters` bounds. */
  get fields(): number {
    return this.deltas.size + this.buckets.size;
  }

  /** HINCRBY commands this group costs. */
  get commands(): number {
    return this.deltas.size + this.spill.length + this.buckets.size + this.bucketSpill.length;
  }

  /** Rebuilds the deltas from the jobs still in the group (after some were found already applied). */
  rebuild(jobs: readonly HeldJob[], onNode: (name: string) => boolean): void {
    this.jobs.length = 0;
    this.deltas = new Map();
    this.spill = [];
    this.buckets = new Map();
    this.bucketSpill = [];
    const plan = this.plan?.enabled === true ? this.plan : undefined;
    for (const job of jobs) {
      this.jobs.push(job);
      for (const pair of job.payload.c) {
        const [name, delta] = pair;
        // The buffer's figures keep what the group first added: release gives back exactly that.
        if (!onNode(name)) continue;
        sum(this.deltas, this.spill, name, delta);
        if (plan === undefined) continue;
        for (const bucket of plan.bucketsOf(job.payload, pair, false))
          sum(this.buckets, this.bucketSpill, bucket, delta);
      }
    }
  }
}

/** Sums `delta` into `map`, or spills it; true when the key is new there. */
function sum(
  map: Map<string, number>,
  spill: Array<[string, number]>,
  key: string,
  delta: number,
): boolean {
  const current = map.get(key);
  if (current === undefined) {
    map.set(key, delta);
    return true;
  }
  const total = current + delta;
  if (Number.isSafeInteger(total)) map.set(key, total);
  else spill.push([key, delta]);
  return false;
}
