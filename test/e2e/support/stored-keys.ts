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
  // Nodes in parallel, one pipeline per node: a test counts them at a given moment of a change.
  await Promise.all(
    [...nodes.values()].map(async (redis) => {
      const keys = await scanKeys(redis, layout.keys.bucketPattern());
      const pipeline = redis.pipeline();
      for (const key of keys) pipeline.hkeys(key);
      for (const [err, fields] of (await pipeline.exec()) ?? []) {
        if (err) throw err;
        for (const field of fields as string[]) names.add(field);
      }
    }),
  );
  return [...names];
}

/**
 * The fields of every hash of `redis` matching `pattern`, each once: e.g. the counters a ring
 * change folded into a node so far, from its `moved@` flag hashes (one flag per folded field).
 */
export async function hashFieldNames(redis: Redis, pattern: string): Promise<Set<string>> {
  const keys = await scanKeys(redis, pattern);
  const names = new Set<string>();
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.hkeys(key);
  for (const [err, fields] of (await pipeline.exec()) ?? []) {
    if (err) throw err;
    for (const field of fields as string[]) names.add(field);
  }
  return names;
}
