import { pairMinute, type JobPair, type JobPayload } from '../jobs/index.js';
import { bucketStart, type Rollup, type Rollups } from '../rollups/index.js';

/**
 * Which time buckets an increment goes to under a fleet's rollups (docs/series.md). A bucket is
 * named in the buffer by `<granularity index> TAB <bucket start ms> TAB <counter>` (names hold
 * no tab: they are validated free of control characters), so one Map sums each (bucket,
 * counter) of a group. An increment whose bucket has outlived its retention
 * (`start + step + retention <= now`) skips that granularity only.
 */
export class BucketPlan {
  /** Scratch: the last minute looked up and its buckets, since most jobs are one minute. */
  private lastMinute = Number.NaN;
  private lastStarts: number[] = [];
  private lastAt = 0;

  constructor(
    readonly rollups: Rollups,
    private readonly now: () => number = Date.now,
    /** Told once per (increment, granularity) skipped for its age, at the first add only. */
    private readonly tooOld: (rollup: Rollup) => void = () => undefined,
  ) {}

  /** False when no rollups are kept: the buffer then does no time work at all. */
  get enabled(): boolean {
    return this.rollups.length > 0;
  }

  /**
   * The bucket names of `pair` of `payload`, one per granularity that still keeps it.
   * `count` reports the ones skipped for their age (false when a group is rebuilt: they were
   * reported when the job was first buffered).
   */
  bucketsOf(payload: JobPayload, pair: JobPair, count: boolean): string[] {
    const starts = this.startsOf(pairMinute(payload, pair));
    const names: string[] = [];
    for (let g = 0; g < starts.length; g++) {
      const start = starts[g]!;
      if (start < 0) {
        if (count) this.tooOld(this.rollups[g]!);
        continue;
      }
      names.push(`${g}\t${start}\t${pair[0]}`);
    }
    return names;
  }

  /** Per granularity, the bucket start of `minute`, or -1 when that bucket has expired. */
  private startsOf(minute: number): number[] {
    const now = this.now();
    // The verdict "too old" depends on now: a cached one is reused for a second at most.
    if (minute === this.lastMinute && now - this.lastAt < 1000) return this.lastStarts;
    const ms = minute * 60_000;
    const starts = this.rollups.map((r) => {
      const start = bucketStart(ms, r.stepMs);
      return start + r.stepMs + r.retentionMs <= now ? -1 : start;
    });
    this.lastMinute = minute;
    this.lastAt = now;
    this.lastStarts = starts;
    return starts;
  }
}

/** The parts of a bucket name made by {@link BucketPlan.bucketsOf}. */
export function parseBucketName(name: string): {
  granularity: number;
  start: number;
  counter: string;
} {
  const a = name.indexOf('\t');
  const b = name.indexOf('\t', a + 1);
  return {
    granularity: Number(name.slice(0, a)),
    start: Number(name.slice(a + 1, b)),
    counter: name.slice(b + 1),
  };
}
