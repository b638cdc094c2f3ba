import type { Redis } from 'ioredis';
import type { StorageLayout } from '../../src/storage/index.js';
import type { StoredTotals } from '../../workers/cli/commands/demo/verify-totals.js';

// Bucket hashes per pipeline: a 1M-counter run holds ~80 counters per hash and node.
const PIPELINE = 2000;

/**
 * Reads counters straight from the nodes' bucket hashes, where {@link StorageLayout.locate}
 * says they live (one HMGET per hash, pipelined, nodes in parallel), not through the
 * CounterReader: what the tests compare with is the storage layout itself.
 */
export function storedTotals(
  layout: StorageLayout,
  nodes: ReadonlyMap<string, Redis>,
): StoredTotals {
  return async (names) => {
    const hashes = new Map<string, Map<string, string[]>>(); // node -> key -> fields
    for (const name of names) {
      const { node, key, field } = layout.locate(name);
      let keys = hashes.get(node);
      if (keys === undefined) hashes.set(node, (keys = new Map()));
      let fields = keys.get(key);
      if (fields === undefined) keys.set(key, (fields = []));
      fields.push(field);
    }
    const values = new Map<string, bigint>();
    await Promise.all(
      [...hashes].map(async ([node, keys]) => {
        const redis = nodes.get(node);
        if (redis === undefined) throw new Error(`no client for node ${node}`);
        const entries = [...keys];
        for (let start = 0; start < entries.length; start += PIPELINE) {
          const slice = entries.slice(start, start + PIPELINE);
          const pipeline = redis.pipeline();
          for (const [key, fields] of slice) pipeline.hmget(key, ...fields);
          const replies = (await pipeline.exec()) ?? [];
          slice.forEach(([, fields], s) => {
            const [err, reply] = replies[s] ?? [new Error('no reply'), null];
            if (err) throw err;
            const stored = reply as Array<string | null>;
            fields.forEach((field, k) => values.set(field, BigInt(stored[k] ?? 0)));
          });
        }
      }),
    );
    return values;
  };
}
