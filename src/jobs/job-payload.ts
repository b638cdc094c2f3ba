import { MalformedJobError } from '../errors/index.js';
import { counterNameProblem, deltaProblem } from '../validation/index.js';

/** Version of the payload format below; a worker refuses versions it does not know. */
export const PAYLOAD_VERSION = 1;

/**
 * Most increments one job may carry. Bounds the memory a single job costs a worker and the
 * size of one atomic apply script (a job's part for a node is applied by one script).
 */
export const MAX_JOB_PAIRS = 10_000;

/** A batch of increments, as stored in BullMQ: `{ v: 1, t: <ms of oldest>, c: [[name, delta], ...] }`. */
export interface JobPayload {
  readonly v: typeof PAYLOAD_VERSION;
  /** Epoch milliseconds of the oldest increment in the batch: the start of lag. */
  readonly t: number;
  /** Coalesced `[name, delta]` pairs. */
  readonly c: ReadonlyArray<readonly [string, number]>;
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
   * Set by a worker on a job it failed because nodes refused some counters: exactly the
   * `[name, delta]` pairs that were not applied. `countd failed retry` re-queues only these.
   */
  readonly r?: ReadonlyArray<readonly [string, number]>;
}

/** Longest batch identity `b`, and its alphabet (it is part of marker values). */
export const MAX_BATCH_ID_LENGTH = 128;
const BATCH_ID = /^[A-Za-z0-9._-]+$/;

/** Increments a payload stands for: `n` when the producer said, else one per pair. */
export function incrementCount(payload: JobPayload): number {
  return payload.n ?? payload.c.length;
}

/** Name of every countd job in BullMQ (the queue is countd's own; the name is informative). */
export const JOB_NAME = 'incr';

/**
 * Checks a payload taken from the queue. Throws {@link MalformedJobError} saying what is wrong
 * and where (pair index), so the job fails with a reason an operator can act on.
 */
export function parseJobPayload(data: unknown, jobId?: string): JobPayload {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new MalformedJobError(`payload must be an object, got ${describe(data)}`, jobId);
  }
  const { v, t, c, n, b } = data as Record<string, unknown>;
  if (v !== PAYLOAD_VERSION) {
    throw new MalformedJobError(
      `unsupported payload version ${describe(v)} (expected ${PAYLOAD_VERSION})`,
      jobId,
    );
  }
  if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0) {
    throw new MalformedJobError(`"t" must be epoch milliseconds, got ${describe(t)}`, jobId);
  }
  if (n !== undefined && (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)) {
    throw new MalformedJobError(`"n" must be a count of increments, got ${describe(n)}`, jobId);
  }
  if (
    b !== undefined &&
    (typeof b !== 'string' || b.length > MAX_BATCH_ID_LENGTH || !BATCH_ID.test(b))
  ) {
    throw new MalformedJobError(
      `"b" must be 1-${MAX_BATCH_ID_LENGTH} characters of [A-Za-z0-9._-], got ${describe(b)}`,
      jobId,
    );
  }
  if (!Array.isArray(c))
    throw new MalformedJobError(`"c" must be an array of [name, delta], got ${describe(c)}`, jobId);
  if (c.length > MAX_JOB_PAIRS) {
    throw new MalformedJobError(`"c" has ${c.length} pairs, more than ${MAX_JOB_PAIRS}`, jobId);
  }
  for (let i = 0; i < c.length; i++) {
    const pair: unknown = c[i];
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw new MalformedJobError(`pair ${i} must be [name, delta], got ${describe(pair)}`, jobId);
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

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
