import type { Prng } from './prng.js';

/** Most counters a sampler accepts: its tables cost 8 bytes per counter (20 while built). */
export const MAX_ZIPF_COUNTERS = 10_000_000;

/**
 * Draws counter indexes 0..K-1 with P(i) ∝ 1 / (i + 1)^s: index 0 is the hottest. s = 0 is
 * uniform; s ≈ 1 is the classic web-traffic skew. Sampling is O(1) with Vose's alias method
 * (two table reads per draw), built once in O(K): a binary search over a CDF would cost
 * log2(K) dependent reads per increment, which shows at millions of draws per second.
 */
export class ZipfSampler {
  readonly counters: number;
  readonly exponent: number;
  /** Acceptance probability per column (Float32: 2^-24 resolution is plenty for load). */
  private readonly accept: Float32Array | undefined;
  private readonly alias: Uint32Array | undefined;
  private readonly norm: number;

  constructor(counters: number, exponent: number) {
    if (!Number.isSafeInteger(counters) || counters < 1 || counters > MAX_ZIPF_COUNTERS) {
      throw new RangeError(
        `counters must be an integer from 1 to ${MAX_ZIPF_COUNTERS}, got ${counters}`,
      );
    }
    if (!Number.isFinite(exponent) || exponent < 0) {
      throw new RangeError(`zipf exponent must be a finite number >= 0, got ${exponent}`);
    }
    this.counters = counters;
    this.exponent = exponent;
    this.norm = exponent === 0 ? counters : harmonic(counters, exponent);
    if (exponent === 0 || counters === 1) return;
    const { accept, alias } = buildAlias(counters, exponent, this.norm);
    this.accept = accept;
    this.alias = alias;
  }

  /** The probability of index `i` (for tests and reports). */
  probability(i: number): number {
    if (i < 0 || i >= this.counters) return 0;
    if (this.accept === undefined) return 1 / this.counters;
    return Math.pow(i + 1, -this.exponent) / this.norm;
  }

  /** One index in 0..K-1. */
  sample(rng: Prng): number {
    const column = (rng.nextFloat() * this.counters) | 0;
    if (this.accept === undefined) return column;
    return rng.nextFloat() < this.accept[column]! ? column : this.alias![column]!;
  }
}

/** Generalized harmonic number H(K, s) = Σ 1/i^s, summed smallest first for accuracy. */
function harmonic(k: number, s: number): number {
  let sum = 0;
  for (let i = k; i >= 1; i--) sum += Math.pow(i, -s);
  return sum;
}

function buildAlias(
  k: number,
  s: number,
  sum: number,
): { accept: Float32Array; alias: Uint32Array } {
  // Scaled weights: w_i * K / Σw, so the mean column holds exactly 1.
  const scaled = new Float64Array(k);
  const scale = k / sum;
  for (let i = 0; i < k; i++) scaled[i] = Math.pow(i + 1, -s) * scale;
  const accept = new Float32Array(k);
  const alias = new Uint32Array(k);
  // Two stacks in one array: small columns grow from the front, large ones from the back.
  const work = new Uint32Array(k);
  let small = 0;
  let large = k;
  for (let i = 0; i < k; i++) {
    if (scaled[i]! < 1) work[small++] = i;
    else work[--large] = i;
  }
  while (small > 0 && large < k) {
    const less = work[--small]!;
    const more = work[large]!;
    accept[less] = scaled[less]!;
    alias[less] = more;
    scaled[more] = scaled[more]! + scaled[less]! - 1;
    if (scaled[more]! < 1) {
      large++;
      work[small++] = more;
    }
  }
  // What is left is 1 up to rounding.
  while (large < k) accept[work[large++]!] = 1;
  while (small > 0) accept[work[--small]!] = 1;
  return { accept, alias };
}
