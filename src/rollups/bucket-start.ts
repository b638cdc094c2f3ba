/**
 * Start (epoch ms) of the bucket of length `stepMs` holding `ms`. Buckets align to UTC: a
 * multiple of the step since the epoch (a day starts at 00:00 UTC). Times before the epoch
 * floor too, so a bucket always starts at or before `ms`.
 */
export function bucketStart(ms: number, stepMs: number): number {
  return Math.floor(ms / stepMs) * stepMs;
}

/** The epoch minute of `ms` (`floor(ms / 60000)`), what job payloads of version 2 carry in `m`. */
export function epochMinute(ms: number): number {
  return Math.floor(ms / 60_000);
}
