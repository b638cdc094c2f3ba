/**
 * The benchmark's deterministic workload: lane `p` of a run draws counter indexes from a Zipf
 * (or uniform) distribution and deltas from a fixed mix, from a PRNG seeded by `(seed, p)`.
 * Every scenario (countd end to end, per-event HINCRBY, one job per increment) replays the same
 * lanes, so they write the same names and deltas.
 */

import { writeFileSync } from 'node:fs';
import { Prng, ZipfSampler, drawDelta } from '../../workers/load/index.js';

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

/** The lane a client process replays, and where it writes the lane's expected totals. */
export interface LaneConfig {
  readonly lane: number;
  readonly spec: WorkloadSpec;
  /** Where the lane's expected totals go (a Float64Array by counter index). */
  readonly expectFile: string;
  /** Only the first `limit` increments of the lane (see {@link generateLane}). */
  readonly limit?: number;
}

/** A lane ready to replay: the counters' names and the increments by name index. */
export interface PreparedLane {
  readonly names: string[];
  readonly data: LaneData;
}

/** What every client process reports of its lane, whatever it sends through. */
export interface LaneResult {
  readonly increments: number;
  readonly firstSendMs: number;
  /** CPU seconds (user + system) this process used from `go` to the end of its lane. */
  readonly cpuSeconds: number;
}

/**
 * What a client process prepares before `go`: its lane, generated up front, with the lane's
 * expected totals written to `expectFile` for the parent to sum (`verifyLaneTotals`).
 */
export function prepareLane(config: LaneConfig, mode: 'stream' | 'distinct'): PreparedLane {
  const data = generateLane(config.spec, config.lane, mode, config.limit);
  writeFileSync(config.expectFile, new Uint8Array(data.totals.buffer));
  return { names: counterNames(config.spec.counters), data };
}
