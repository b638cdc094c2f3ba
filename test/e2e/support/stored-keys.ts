import type { Redis } from 'ioredis';
import type { StorageLayout } from '../../../src/storage/index.js';

/** Every key of `redis` matching `pattern` (SCAN, so it never blocks the server). */
export async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

/**
 * The names of every counter stored on `nodes` under the layout's prefix now (the fields of
 * its `<prefix>:t:*` hashes), each once.
 */
export async function storedCounterNames(
  nodes: ReadonlyMap<string, Redis>,
  layout: StorageLayout,
): Promise<string[]> {
  const names = new Set<string>();
  for (const [, redis] of nodes) {
    const keys = await scanKeys(redis, layout.keys.bucketPattern());
    for (let start = 0; start < keys.length; start += 500) {
      const pipeline = redis.pipeline();
      for (const key of keys.slice(start, start + 500)) pipeline.hkeys(key);
      for (const [err, fields] of (await pipeline.exec()) ?? []) {
        if (err) throw err;
        for (const field of fields as string[]) names.add(field);
      }
    }
  }
  return [...names];
}
