import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import {
  DEFAULT_LISTPACK_ENTRIES,
  listpackEntriesOf,
  type StorageLayout,
} from '../storage/index.js';

const REPACK_SCRIPT = readFileSync(new URL('../scripts/repack-hash.lua', import.meta.url), 'utf8');

/** Hashes whose encoding is asked per pipeline. */
const ENCODING_CHUNK = 1000;

interface RepackCommands {
  countdRepackHash(key: string, limit: number): Promise<number>;
}

/**
 * Writes anew every hash of `layout` on a node that is a hashtable but holds no more fields than
 * the node's listpack limit (repack-hash.lua): after a change moved counters out of a hash, or a
 * layout change spread them over more hashes, those that once passed the limit are compact
 * again. Returns how many were rewritten.
 */
export async function repackHashes(client: Redis, layout: StorageLayout): Promise<number> {
  const limit = (await listpackEntriesOf(client)) ?? DEFAULT_LISTPACK_ENTRIES;
  const redis = client as Redis & Partial<RepackCommands>;
  // defineCommand loads by EVALSHA and falls back to EVAL once per connection (NOSCRIPT).
  if (!('countdRepackHash' in redis))
    redis.defineCommand('countdRepackHash', { lua: REPACK_SCRIPT, numberOfKeys: 1 });
  let repacked = 0;
  for (let first = 0; first < layout.buckets; first += ENCODING_CHUNK) {
    const last = Math.min(layout.buckets, first + ENCODING_CHUNK);
    const pipeline = client.pipeline();
    for (let b = first; b < last; b++) pipeline.object('ENCODING', layout.bucketKey(b));
    const replies = (await pipeline.exec()) ?? [];
    for (let b = first; b < last; b++) {
      const [err, encoding] = replies[b - first] ?? [];
      if (err) throw err;
      if (encoding !== 'hashtable') continue;
      repacked += await (redis as Redis & RepackCommands).countdRepackHash(
        layout.bucketKey(b),
        limit,
      );
    }
  }
  return repacked;
}
