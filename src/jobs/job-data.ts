import {
  PAYLOAD_VERSION,
  PAYLOAD_VERSION_2,
  pairMinute,
  type JobPair,
  type JobPayload,
  type PayloadVersion,
} from './job-payload.js';

/** A version 1 job as stored in BullMQ. */
export interface JobDataV1 {
  readonly v: typeof PAYLOAD_VERSION;
  readonly t: number;
  readonly c: ReadonlyArray<readonly [string, number]>;
  readonly n?: number;
  readonly b?: string;
  readonly r?: ReadonlyArray<readonly [string, number]>;
}

/** A version 2 job as stored in BullMQ (docs/series.md, "The job payload, version 2"). */
export interface JobDataV2 {
  readonly v: typeof PAYLOAD_VERSION_2;
  readonly t: number;
  /** Flat: name, delta, name, delta, ... */
  readonly c: ReadonlyArray<string | number>;
  /** The epoch minute of every pair, or one per pair. */
  readonly m: number | readonly number[];
  readonly n?: number;
  readonly b?: string;
  readonly r?: ReadonlyArray<readonly [string, number, number]>;
}

/** What a job's data is in the queue, of either version. */
export type JobData = JobDataV1 | JobDataV2;

/**
 * The stored form of `payload` in `version` (its own by default). Version 1 carries no minute:
 * the caller writes it only for pairs of the minute of `t` (the producer refuses others).
 * Version 2 writes `m` as one number when every pair has the same minute.
 */
export function encodeJobPayload(
  payload: JobPayload,
  version: PayloadVersion = payload.v,
): JobData {
  const extra = {
    ...(payload.n === undefined ? {} : { n: payload.n }),
    ...(payload.b === undefined ? {} : { b: payload.b }),
  };
  if (version === PAYLOAD_VERSION) {
    const c = payload.c.map(([name, delta]) => [name, delta] as const);
    const r = payload.r?.map(([name, delta]) => [name, delta] as const);
    return { v: PAYLOAD_VERSION, t: payload.t, c, ...extra, ...(r === undefined ? {} : { r }) };
  }
  const c: Array<string | number> = new Array<string | number>(2 * payload.c.length);
  const minutes: number[] = new Array<number>(payload.c.length);
  let same = true;
  for (let i = 0; i < payload.c.length; i++) {
    const pair = payload.c[i]!;
    c[2 * i] = pair[0];
    c[2 * i + 1] = pair[1];
    minutes[i] = pairMinute(payload, pair);
    if (minutes[i] !== minutes[0]) same = false;
  }
  const m = same ? (minutes[0] ?? payload.m ?? Math.floor(payload.t / 60_000)) : minutes;
  const r = payload.r?.map((pair) => [pair[0], pair[1], pairMinute(payload, pair)] as const);
  return { v: PAYLOAD_VERSION_2, t: payload.t, c, m, ...extra, ...(r === undefined ? {} : { r }) };
}

/** Pairs of `payload` with their minute, as a version 2 `r` records them. */
export function pairsWithMinutes(payload: JobPayload, pairs: readonly JobPair[]): JobPair[] {
  return pairs.map((pair) => [pair[0], pair[1], pairMinute(payload, pair)]);
}
