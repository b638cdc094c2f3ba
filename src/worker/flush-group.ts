import type { BucketPlan } from './bucket-plan.js';
import type { JobPayload } from '../jobs/index.js';
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
  /** Per time bucket (its `bucketId`), what each counter grew by in it. Empty without rollups. */
  buckets = new Map<number, Map<string, number>>();
  /** As `spill`, for `buckets`: [bucket id, counter, delta]. */
  bucketSpill: Array<[number, string, number]> = [];
  /** Distinct (bucket, counter) fields in `buckets`. */
  bucketFields = 0;
  readonly jobs: HeldJob[] = [];
  /** Counters and bytes this group added to the buffer's figures, given back on release. */
  accountedCounters = 0;
  accountedBytes = 0;

  constructor(private readonly plan?: BucketPlan) {}

  /** Adds a delta; returns the bytes the buffer grew by (0 when the counter was already here). */
  add(name: string, delta: number): number {
    if (!this.sumTotal(name, delta)) return 0;
    const bytes = name.length * 2 + ENTRY_OVERHEAD_BYTES;
    this.accountedCounters++;
    this.accountedBytes += bytes;
    return bytes;
  }

  /** Adds a delta to counter `name` in bucket `bucket`; returns the bytes the buffer grew by. */
  addToBucket(bucket: number, name: string, delta: number): number {
    if (!this.sumBucket(bucket, name, delta)) return 0;
    // The name is the counter's own string, shared with `deltas`: only the entry costs.
    this.accountedBytes += ENTRY_OVERHEAD_BYTES;
    return ENTRY_OVERHEAD_BYTES;
  }

  /** Sums into the totals, or spills; true when the counter is new there. */
  private sumTotal(name: string, delta: number): boolean {
    const outcome = sum(this.deltas, name, delta);
    if (outcome === SPILLED) this.spill.push([name, delta]);
    return outcome === NEW;
  }

  /** Sums into the bucket's Map, or spills; true when the field is new there. */
  private sumBucket(bucket: number, name: string, delta: number): boolean {
    let of = this.buckets.get(bucket);
    if (of === undefined) this.buckets.set(bucket, (of = new Map()));
    const outcome = sum(of, name, delta);
    if (outcome === SPILLED) this.bucketSpill.push([bucket, name, delta]);
    else if (outcome === NEW) this.bucketFields++;
    return outcome === NEW;
  }

  /** Distinct counters (totals) in the group. */
  get size(): number {
    return this.deltas.size;
  }

  /** Distinct fields the apply writes, bucket fields included: what `maxScriptCounters` bounds. */
  get fields(): number {
    return this.deltas.size + this.bucketFields;
  }

  /** HINCRBY commands this group costs. */
  get commands(): number {
    return this.deltas.size + this.spill.length + this.bucketFields + this.bucketSpill.length;
  }

  /**
   * Rebuilds the deltas from the jobs still in the group (after some were found already
   * applied or lost), each with its payload as read again from the queue.
   */
  rebuild(
    jobs: ReadonlyArray<{ readonly job: HeldJob; readonly payload: JobPayload }>,
    onNode: (name: string) => boolean,
  ): void {
    this.jobs.length = 0;
    this.deltas = new Map();
    this.spill = [];
    this.buckets = new Map();
    this.bucketSpill = [];
    this.bucketFields = 0;
    const plan = this.plan?.enabled === true ? this.plan : undefined;
    for (const { job, payload } of jobs) {
      this.jobs.push(job);
      for (const pair of payload.c) {
        const [name, delta] = pair;
        // The buffer's figures keep what the group first added: release gives back exactly that.
        if (!onNode(name)) continue;
        this.sumTotal(name, delta);
        if (plan === undefined) continue;
        const ids = plan.bucketsOf(payload, pair, false);
        for (let g = 0; g < ids.length; g++) if (ids[g]! >= 0) this.sumBucket(ids[g]!, name, delta);
      }
    }
  }
}

const NEW = 0;
const SUMMED = 1;
const SPILLED = 2;

/**
 * Sums `delta` into `map`: NEW when the key was not there, SUMMED, or SPILLED when the sum
 * would leave the safe-integer range (the map keeps its value; the caller spills the delta).
 */
function sum(map: Map<string, number>, key: string, delta: number): number {
  const current = map.get(key);
  if (current === undefined) {
    map.set(key, delta);
    return NEW;
  }
  const total = current + delta;
  if (!Number.isSafeInteger(total)) return SPILLED;
  map.set(key, total);
  return SUMMED;
}
