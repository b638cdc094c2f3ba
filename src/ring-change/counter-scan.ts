import type { Redis } from 'ioredis';
import type { CountdKeys } from '../keys/index.js';

/**
 * Buckets whose first HSCAN goes out in one pipeline: most bucket hashes are small (listpack,
 * returned whole by one HSCAN), so one round trip per bucket would dominate a scan.
 */
const SCAN_PIPELINE = 64;

/** One HSCAN reply of one counter hash: fields and values, flat (`[f, v, f, v, …]`). */
export interface CounterBatch {
  readonly bucket: number;
  readonly key: string;
  readonly entries: readonly string[];
}

/**
 * Every counter of every bucket hash `0..buckets-1` of a node, one HSCAN reply at a time, each
 * field once (HSCAN may return a field twice when a hash is rehashed mid-scan). A small hash
 * (listpack) comes whole whatever `count` says.
 */
export async function* scanCounters(
  node: Redis,
  keys: CountdKeys,
  buckets: number,
  count: number,
  signal?: AbortSignal,
): AsyncGenerator<CounterBatch> {
  for (let first = 0; first < buckets; first += SCAN_PIPELINE) {
    signal?.throwIfAborted();
    const group = Array.from(
      { length: Math.min(SCAN_PIPELINE, buckets - first) },
      (_, i) => first + i,
    );
    const pipeline = node.pipeline();
    for (const bucket of group) pipeline.hscan(keys.bucket(bucket), '0', 'COUNT', count);
    const replies = (await pipeline.exec()) ?? [];
    for (const [i, bucket] of group.entries()) {
      const [err, reply] = replies[i] ?? [new Error('no HSCAN reply'), null];
      if (err) throw err;
      const [cursor, entries] = reply as [string, string[]];
      if (cursor === '0') {
        if (entries.length > 0) yield { bucket, key: keys.bucket(bucket), entries };
        continue;
      }
      yield* scanRest(node, keys.bucket(bucket), bucket, cursor, entries, count, signal);
    }
  }
}

/** The rest of a hash HSCAN did not return whole: its fields, each once. */
async function* scanRest(
  node: Redis,
  key: string,
  bucket: number,
  cursor: string,
  firstEntries: readonly string[],
  count: number,
  signal?: AbortSignal,
): AsyncGenerator<CounterBatch> {
  const seen = new Set<string>();
  let found = firstEntries;
  for (;;) {
    const entries: string[] = [];
    for (let i = 0; i < found.length; i += 2) {
      if (seen.has(found[i]!)) continue;
      seen.add(found[i]!);
      entries.push(found[i]!, found[i + 1]!);
    }
    if (entries.length > 0) yield { bucket, key, entries };
    if (cursor === '0') return;
    signal?.throwIfAborted();
    [cursor, found] = await node.hscan(key, cursor, 'COUNT', count);
  }
}
