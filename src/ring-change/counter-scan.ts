import type { Redis } from 'ioredis';
import type { CountdKeys } from '../keys/index.js';

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
  for (let bucket = 0; bucket < buckets; bucket++) {
    const key = keys.bucket(bucket);
    let cursor = '0';
    // Only a hash scanned in several calls can repeat a field: those remember what they gave.
    let seen: Set<string> | undefined;
    do {
      signal?.throwIfAborted();
      const [next, found] = await node.hscan(key, cursor, 'COUNT', count);
      let entries = found;
      if (seen !== undefined || next !== '0') {
        seen ??= new Set();
        entries = [];
        for (let i = 0; i < found.length; i += 2) {
          if (seen.has(found[i]!)) continue;
          seen.add(found[i]!);
          entries.push(found[i]!, found[i + 1]!);
        }
      }
      cursor = next;
      if (entries.length > 0) yield { bucket, key, entries };
    } while (cursor !== '0');
  }
}
