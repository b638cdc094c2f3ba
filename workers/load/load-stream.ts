import { Prng } from './prng.js';
import type { ZipfSampler } from './zipf.js';

/**
 * One producer's deterministic sequence of increments: counter indexes from the Zipf sampler
 * and deltas from {@link drawDelta}, both drawn from a PRNG seeded by `(seed, lane)`. The
 * generator and the replay that computes expected totals walk the same stream, so the stream is
 * the record of what was sent: nothing per increment has to be kept in memory.
 */
export class LoadStream {
  private readonly rng: Prng;
  /** Counter index of the current increment (after {@link next}). */
  index = 0;
  /** Delta of the current increment (after {@link next}). */
  delta = 0;

  constructor(
    seed: number,
    lane: number,
    private readonly zipf: ZipfSampler,
  ) {
    this.rng = new Prng(seed, lane);
  }

  /** Advances to the next increment; read `index` and `delta`. Allocates nothing. */
  next(): void {
    this.index = this.zipf.sample(this.rng);
    this.delta = drawDelta(this.rng.nextUint32());
  }
}

/**
 * Deltas like real counters see: mostly +1 (page views), -1 (online users leaving), some
 * small batches either way and rare large ones (a sale of many units). Never 0. From 32 random
 * bits: the top 10 choose the kind, the low bits the size.
 *
 * | share  | delta        |
 * | ------ | ------------ |
 * | 85.9 % | +1           |
 * | 7.8 %  | -1           |
 * | 4.9 %  | +2 .. +9     |
 * | 1.3 %  | -2 .. -17    |
 * | 0.1 %  | +100 .. +1123 |
 */
export function drawDelta(bits: number): number {
  const kind = bits >>> 22;
  if (kind < 880) return 1;
  if (kind < 960) return -1;
  if (kind < 1010) return 2 + (bits & 7);
  if (kind < 1023) return -2 - (bits & 15);
  return 100 + (bits & 1023);
}

// Hot counters' names are built once: a string the producer's Map has already hashed is
// cheaper than a new one per increment. Cold ones (beyond the cache) are built on demand.
const NAME_CACHE_LIMIT = 1 << 20;

/** Counter names `<prefix>:<index>`, cached for the first 2^20 indexes. */
export class CounterNames {
  private readonly cache: Array<string | undefined>;

  constructor(
    readonly prefix: string,
    counters: number,
  ) {
    this.cache = new Array<string | undefined>(Math.min(counters, NAME_CACHE_LIMIT));
  }

  name(index: number): string {
    if (index >= NAME_CACHE_LIMIT) return `${this.prefix}:${index}`;
    return (this.cache[index] ??= `${this.prefix}:${index}`);
  }
}
