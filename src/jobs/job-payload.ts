import { MalformedJobError } from '../errors/index.js';
import { counterNameProblem, deltaProblem } from '../validation/index.js';
import { describeValue } from './describe-value.js';
import { parseV2Pairs } from './job-payload-v2.js';

/** Version 1 of the payload format: nested `[name, delta]` pairs, no event time. */
export const PAYLOAD_VERSION = 1;

/** Version 2: flat `c`, the epoch minute of the pairs in `m` (docs/series.md). */
export const PAYLOAD_VERSION_2 = 2;

/** The versions a worker of this release reads; it refuses the others. */
export const PAYLOAD_VERSIONS = [PAYLOAD_VERSION, PAYLOAD_VERSION_2] as const;

export type PayloadVersion = (typeof PAYLOAD_VERSIONS)[number];

/**
 * Most increments one job may carry. Bounds the memory a single job costs a worker and the
 * size of one atomic apply script (a job's part for a node is applied by one script).
 */
export const MAX_JOB_PAIRS = 10_000;

/**
 * One increment as a worker reads it: counter, delta and, when the job has one per pair (a
 * version 2 job whose `m` is an array), its epoch minute.
 */
export type JobPair = readonly [name: string, delta: number, minute?: number];

/**
 * A batch of increments as {@link parseJobPayload} returns it, whatever its version: pairs are
 * nested. A version 1 payload is this as stored (`{ v: 1, t, c: [[name, delta], ...] }`); a
 * version 2 one is stored flat (see `JobDataV2`, `encodeJobPayload`).
 */
export interface JobPayload {
  readonly v: PayloadVersion;
  /** Epoch milliseconds of the oldest increment in the batch (when it was sent): the start of lag. */
  readonly t: number;
  /** Coalesced pairs: one per counter (version 1) or per (counter, minute) (version 2). */
  readonly c: ReadonlyArray<JobPair>;
  /**
   * Epoch minute (`floor(ms / 60000)`) of every pair without its own: `m` of a version 2 job
   * when it is one number. Absent in version 1: its pairs count in the minute of `t`.
   */
  readonly m?: number;
  /**
   * Increments the batch stood for before coalescing (optional): what the throughput metrics
   * count. Absent, each pair counts as one.
   */
  readonly n?: number;
  /**
   * The batch's identity (optional): a random token the producer draws once per batch and keeps
   * across retries of its `add`. Markers on the storage nodes are named by the job id and this
   * token, so a job id reused for other increments (a restarted producer with a fixed id, a
   * queue obliterated and numbered again) is never taken for an applied job. Absent (jobs made
   * by other clients or by countd 0.1), a digest of the payload stands in (see `jobInstance`).
   */
  readonly b?: string;
  /**
   * Set by a worker on a job it failed because nodes refused some counters: exactly the pairs
   * that were not applied, `[name, delta]` (version 1) or `[name, delta, minute]` (version 2).
   * `countd failed retry` re-queues only these.
   */
  readonly r?: ReadonlyArray<JobPair>;
}

/** Longest batch identity `b`, and its alphabet (it is part of marker values). */
export const MAX_BATCH_ID_LENGTH = 128;
const BATCH_ID = /^[A-Za-z0-9._-]+$/;

/** Increments a payload stands for: `n` when the producer said, else one per pair. */
export function incrementCount(payload: JobPayload): number {
  return payload.n ?? payload.c.length;
}

/** The epoch minute of `pair` of `payload`: its own, the job's `m`, or the minute of `t` (version 1). */
export function pairMinute(payload: JobPayload, pair: JobPair): number {
  return pair[2] ?? payload.m ?? Math.floor(payload.t / 60_000);
}

/** Name of every countd job in BullMQ (the queue is countd's own; the name is informative). */
export const JOB_NAME = 'incr';

/**
 * Checks a payload taken from the queue, of version 1 or 2. Throws {@link MalformedJobError}
 * saying what is wrong and where (pair index), so the job fails with a reason an operator can
 * act on. A version 1 payload is returned as is; a version 2 one with its pairs nested.
 */
export function parseJobPayload(data: unknown, jobId?: string): JobPayload {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new MalformedJobError(`payload must be an object, got ${describeValue(data)}`, jobId);
  }
  const record = data as Record<string, unknown>;
  const { v, t, c, n, b } = record;
  if (v !== PAYLOAD_VERSION && v !== PAYLOAD_VERSION_2) {
    throw new MalformedJobError(
      `unsupported payload version ${describeValue(v)} (expected ${PAYLOAD_VERSIONS.join(' or ')})`,
      jobId,
    );
  }
  if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0) {
    throw new MalformedJobError(`"t" must be epoch milliseconds, got ${describeValue(t)}`, jobId);
  }
  if (n !== undefined && (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)) {
    throw new MalformedJobError(
      `"n" must be a count of increments, got ${describeValue(n)}`,
      jobId,
    );
  }
  if (
    b !== undefined &&
    (typeof b !== 'string' || b.length > MAX_BATCH_ID_LENGTH || !BATCH_ID.test(b))
  ) {
    throw new MalformedJobError(
      `"b" must be 1-${MAX_BATCH_ID_LENGTH} characters of [A-Za-z0-9._-], got ${describeValue(b)}`,
      jobId,
    );
  }
  if (v === PAYLOAD_VERSION_2) {
    const { pairs, minute } = parseV2Pairs(c, record.m, jobId);
    // Built field by field: the stored `m` (an array) must not come along with the pairs.
    return {
      v,
      t,
      c: pairs,
      ...(minute === undefined ? {} : { m: minute }),
      ...(n === undefined ? {} : { n: n as number }),
      ...(b === undefined ? {} : { b: b as string }),
      ...(record.r === undefined ? {} : { r: record.r as JobPayload['r'] }),
    };
  }
  if (!Array.isArray(c))
    throw new MalformedJobError(
      `"c" must be an array of [name, delta], got ${describeValue(c)}`,
      jobId,
    );
  if (c.length > MAX_JOB_PAIRS) {
    throw new MalformedJobError(`"c" has ${c.length} pairs, more than ${MAX_JOB_PAIRS}`, jobId);
  }
  for (let i = 0; i < c.length; i++) {
    const pair: unknown = c[i];
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw new MalformedJobError(
        `pair ${i} must be [name, delta], got ${describeValue(pair)}`,
        jobId,
      );
    }
    const nameProblem = counterNameProblem(pair[0]);
    if (nameProblem !== undefined)
      throw new MalformedJobError(`pair ${i}: counter name ${nameProblem}`, jobId);
    const problem = deltaProblem(pair[1]);
    if (problem !== undefined)
      throw new MalformedJobError(`pair ${i} (${String(pair[0])}): delta ${problem}`, jobId);
  }
  return data as unknown as JobPayload;
}
