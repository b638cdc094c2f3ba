import { pairMinute, type JobPair, type JobPayload } from '../jobs/index.js';
import { bucketStart, type Rollup, type Rollups } from '../rollups/index.js';

/** At most this many granularities: a bucket id holds its granularity in its last 2 bits. */
const GRANULARITY_SLOTS = 4;

/** The id of bucket `start` (ms) of granularity index `g`: one safe integer, a Map key. */
export function bucketId(g: number, start: number): number {
  return start * GRANULARITY_SLOTS + g;
}

/** The granularity index and start (ms) of a {@link bucketId}. */
export function parseBucketId(id: number): { granularity: number; start: number } {
  const granularity = id % GRANULARITY_SLOTS;
  return { granularity, start: (id - granularity) / GRANULARITY_SLOTS };
}

/**
 * Which time buckets an increment goes to under a fleet's rollups (docs/series.md). A bucket is
 * named in the buffer by a number, {@link bucketId} (granularity and start), and a group keeps
 * one Map of counter to delta per bucket: no string is built per increment. An increment whose
 * bucket has outlived its retention (`start + step + retention <= now`) skips that granularity
 * only.
 */
export class BucketPlan {
  /** Scratch: the last minute looked up and its bucket ids, since most jobs are one minute. */
  private lastMinute = Number.NaN;
  private lastIds: number[] = [];
  private lastAt = 0;

  constructor(
    readonly rollups: Rollups,
    private readonly now: () => number = Date.now,
    /** Told once per (increment, granularity) skipped for its age, at the first add only. */
    private readonly tooOld: (rollup: Rollup) => void = () => undefined,
  ) {
    if (rollups.length > GRANULARITY_SLOTS)
      throw new Error(`at most ${GRANULARITY_SLOTS} granularities, got ${rollups.length}`);
  }

  /** False when no rollups are kept: the buffer then does no time work at all. */
  get enabled(): boolean {
    return this.rollups.length > 0;
  }

  /**
   * The bucket ids of `pair` of `payload`, one per granularity, -1 where that granularity no
   * longer keeps it. `count` reports the ones skipped for their age (false when a group is
   * rebuilt: they were reported when the job was first buffered). The array is reused by the
   * next call: read it before.
   */
  bucketsOf(payload: JobPayload, pair: JobPair, count: boolean): readonly number[] {
    const ids = this.idsOf(pairMinute(payload, pair));
    if (count) for (let g = 0; g < ids.length; g++) if (ids[g]! < 0) this.tooOld(this.rollups[g]!);
    return ids;
  }

  /** Per granularity, the bucket id of `minute`, or -1 when that bucket has expired. */
  private idsOf(minute: number): number[] {
    const now = this.now();
    // The verdict "too old" depends on now: a cached one is reused for a second at most.
    if (minute === this.lastMinute && now - this.lastAt < 1000) return this.lastIds;
    const ms = minute * 60_000;
    const ids = this.rollups.map((r, g) => {
      const start = bucketStart(ms, r.stepMs);
      return start + r.stepMs + r.retentionMs <= now ? -1 : bucketId(g, start);
    });
    this.lastMinute = minute;
    this.lastAt = now;
    this.lastIds = ids;
    return ids;
  }
}
