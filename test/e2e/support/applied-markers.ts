import type { Redis } from 'ioredis';
import type { E2eStack } from './e2e-stack.js';

/** One applied marker: the node holding it and its key. */
export interface MarkerRef {
  readonly node: string;
  readonly key: string;
}

/** Every applied marker of the stack's prefix on its nodes now (SCAN, so it never blocks). */
export async function appliedMarkers(
  stack: E2eStack,
  nodes: ReadonlyMap<string, Redis>,
): Promise<MarkerRef[]> {
  const pattern = stack.layout.keys.applied('*');
  const found: MarkerRef[] = [];
  for (const [node, redis] of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) found.push({ node, key });
    } while (cursor !== '0');
  }
  return found;
}

/** A marker that still exists, with the milliseconds it has left to live. */
export interface LiveMarker extends MarkerRef {
  readonly ttlMs: number;
}

/** Those of `markers` that still exist (PTTL, pipelined per node). */
export async function liveMarkers(
  markers: readonly MarkerRef[],
  nodes: ReadonlyMap<string, Redis>,
): Promise<LiveMarker[]> {
  const live: LiveMarker[] = [];
  for (const [node, redis] of nodes) {
    const keys = markers.filter((m) => m.node === node).map((m) => m.key);
    for (let start = 0; start < keys.length; start += 1000) {
      const chunk = keys.slice(start, start + 1000);
      const pipeline = redis.pipeline();
      for (const key of chunk) pipeline.pttl(key);
      const replies = (await pipeline.exec()) ?? [];
      chunk.forEach((key, i) => {
        const [err, ttl] = replies[i] ?? [new Error('no reply'), null];
        if (err) throw err;
        // -2: gone; -1 (no TTL) would be a marker that never expires: kept, with an infinite TTL.
        if (ttl === -2) return;
        live.push({ node, key, ttlMs: ttl === -1 ? Infinity : Number(ttl) });
      });
    }
  }
  return live;
}
