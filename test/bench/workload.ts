/**
 * The benchmark's deterministic workload: lane `p` of a run draws counter indexes from a Zipf
 * (or uniform) distribution and deltas from a fixed mix, from a PRNG seeded by `(seed, p)`.
 * Every scenario (countd end to end, per-event HINCRBY, one job per increment) replays the same
 * lanes, so they write the same names and deltas.
 */

/** Counter names as an application would have them; ≤ 64 bytes so hashes stay listpacks. */
export function counterName(index: number): string {
  return `page:${index}:views`;
}

/** All names of a run, built once per process (an application has its strings already). */
export function counterNames(counters: number): string[] {
  const names = new Array<string>(counters);
  for (let i = 0; i < counters; i++) names[i] = counterName(i);
  return names;
}

/** xoshiro128** seeded through splitmix32: small, fast and reproducible. */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, lane: number) {
    let s = (mix32(seed >>> 0) ^ mix32(lane + 0x9e37)) >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      return mix32(s);
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next() | 1;
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  nextFloat(): number {
    return this.nextUint32() * 2.3283064365386963e-10;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

function mix32(x: number): number {
  let z = x >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/**
 * P(i) ∝ 1/(i+1)^s over 0..K-1 (s = 0: uniform), sampled in O(1) with Vose's alias method:
 * a CDF search would cost ~20 dependent reads per draw at 1M counters.
 */
export class ZipfSampler {
  private readonly accept: Float64Array | undefined;
  private readonly alias: Uint32Array | undefined;

  constructor(
    readonly counters: number,
    readonly exponent: number,
  ) {
    if (exponent === 0) return;
    const scaled = new Float64Array(counters);
    let sum = 0;
    for (let i = counters - 1; i >= 0; i--) sum += scaled[i] = Math.pow(i + 1, -exponent);
    for (let i = 0; i < counters; i++) scaled[i] = (scaled[i]! * counters) / sum;
    const accept = new Float64Array(counters).fill(1);
    const alias = new Uint32Array(counters);
    const small: number[] = [];
    const large: number[] = [];
    for (let i = 0; i < counters; i++) (scaled[i]! < 1 ? small : large).push(i);
    while (small.length > 0 && large.length > 0) {
      const less = small.pop()!;
      const more = large[large.length - 1]!;
      accept[less] = scaled[less]!;
      alias[less] = more;
      scaled[more] = scaled[more]! + scaled[less]! - 1;
      if (scaled[more]! < 1) small.push(large.pop()!);
    }
    this.accept = accept;
    this.alias = alias;
  }

  sample(rng: Prng): number {
    const column = (rng.nextFloat() * this.counters) | 0;
    if (this.accept === undefined) return column;
    return rng.nextFloat() < this.accept[column]! ? column : this.alias![column]!;
  }
}

/** Mostly +1, some -1, a few small batches either way, rarely a large one; never 0. */
export function drawDelta(bits: number): number {
  const kind = bits >>> 22;
  if (kind < 880) return 1;
  if (kind < 960) return -1;
  if (kind < 1010) return 2 + (bits & 7);
  if (kind < 1023) return -2 - (bits & 15);
  return 100 + (bits & 1023);
}

/** Parameters every process of a scenario agrees on. */
export interface WorkloadSpec {
  readonly counters: number;
  /** Zipf exponent; 0 is uniform. */
  readonly zipf: number;
  readonly seed: number;
  /** Increments over all lanes. */
  readonly total: number;
  readonly lanes: number;
}

/** Increments of lane `lane`: the total split evenly, the remainder to the first lanes. */
export function laneShare(spec: WorkloadSpec, lane: number): number {
  const base = Math.floor(spec.total / spec.lanes);
  return base + (lane < spec.total % spec.lanes ? 1 : 0);
}

/** One lane's stream: call {@link next}, then read `index` and `delta`. Allocates nothing. */
export class LaneStream {
  private readonly rng: Prng;
  index = 0;
  delta = 0;

  constructor(
    private readonly sampler: ZipfSampler,
    seed: number,
    lane: number,
  ) {
    this.rng = new Prng(seed, lane);
  }

  next(): void {
    this.index = this.sampler.sample(this.rng);
    this.delta = drawDelta(this.rng.nextUint32());
  }
}

/** A lane's increments generated up front, so timed loops measure the system, not the PRNG. */
export interface LaneData {
  readonly indexes: Uint32Array;
  readonly deltas: Int32Array;
  /** Expected total per counter index of this lane. */
  readonly totals: Float64Array;
}

/**
 * Lane `lane` of `spec`: its share of the stream (`stream`), or counters lane, lane+P, …
 * once each with delta 1 (`distinct`, which fills a worker's buffer with distinct counters).
 * `limit` keeps only the first increments (a bounded sample of the same stream).
 */
export function generateLane(
  spec: WorkloadSpec,
  lane: number,
  mode: 'stream' | 'distinct',
  limit = Infinity,
): LaneData {
  const share =
    mode === 'stream'
      ? laneShare(spec, lane)
      : Math.ceil(Math.max(0, spec.counters - lane) / spec.lanes);
  const n = Math.min(share, limit);
  const indexes = new Uint32Array(n);
  const deltas = new Int32Array(n);
  const totals = new Float64Array(spec.counters);
  const stream =
    mode === 'stream'
      ? new LaneStream(new ZipfSampler(spec.counters, spec.zipf), spec.seed, lane)
      : undefined;
  for (let i = 0; i < n; i++) {
    let index: number;
    let delta: number;
    if (stream !== undefined) {
      stream.next();
      index = stream.index;
      delta = stream.delta;
    } else {
      index = lane + i * spec.lanes;
      delta = 1;
    }
    indexes[i] = index;
    deltas[i] = delta;
    totals[index]! += delta;
  }
  return { indexes, deltas, totals };
}
