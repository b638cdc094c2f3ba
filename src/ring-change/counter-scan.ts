import type { Redis } from 'ioredis';
import type { CountdKeys } from '../keys/index.js';

/**
 * Hashes whose first HSCAN goes out in one pipeline: most bucket hashes are small (listpack,
 * returned whole by one HSCAN), so one round trip per hash would dominate a scan.
 */
const SCAN_PIPELINE = 128;

/** One HSCAN reply of one hash: fields and values, flat (`[f, v, f, v, …]`). */
export interface HashBatch {
  /** The hash's index in the list scanned. */
  readonly index: number;
  readonly key: string;
  readonly entries: readonly string[];
}

/** One HSCAN reply of one counter hash. */
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
  const hashes = Array.from({ length: buckets }, (_, b) => keys.bucket(b));
  for await (const batch of scanHashes(node, hashes, count, signal))
    yield { bucket: batch.index, key: batch.key, entries: batch.entries };
}

/** Every field of each hash of `hashes` (missing ones are empty), as {@link scanCounters}. */
export async function* scanHashes(
  node: Redis,
  hashes: readonly string[],
  count: number,
  signal?: AbortSignal,
): AsyncGenerator<HashBatch> {
  for (let first = 0; first < hashes.length; first += SCAN_PIPELINE) {
    signal?.throwIfAborted();
    const last = Math.min(hashes.length, first + SCAN_PIPELINE);
    const pipeline = node.pipeline();
    for (let i = first; i < last; i++) pipeline.hscan(hashes[i]!, '0', 'COUNT', count);
    const replies = (await pipeline.exec()) ?? [];
    for (let i = first; i < last; i++) {
      const [err, reply] = replies[i - first] ?? [new Error('no HSCAN reply'), null];
      if (err) throw err;
      const [cursor, entries] = reply as [string, string[]];
      const key = hashes[i]!;
      if (cursor === '0') {
        if (entries.length > 0) yield { index: i, key, entries };
        continue;
      }
      for await (const rest of scanRest(node, key, cursor, entries, count, signal))
        yield { index: i, key, entries: rest };
    }
  }
}

/** The rest of a hash HSCAN did not return whole: its fields, each once. */
async function* scanRest(
  node: Redis,
  key: string,
  cursor: string,
  firstEntries: readonly string[],
  count: number,
  signal?: AbortSignal,
): AsyncGenerator<string[]> {
  const seen = new Set<string>();
  let found = firstEntries;
  for (;;) {
    const entries: string[] = [];
    for (let i = 0; i < found.length; i += 2) {
      if (seen.has(found[i]!)) continue;
      seen.add(found[i]!);
      entries.push(found[i]!, found[i + 1]!);
    }
    if (entries.length > 0) yield entries;
    if (cursor === '0') return;
    signal?.throwIfAborted();
    [cursor, found] = await node.hscan(key, cursor, 'COUNT', count);
  }
}
