import { beforeAll } from 'vitest';
import { HashRing } from '../../../../src/ring/index.js';
import { StorageLayout } from '../../../../src/storage/index.js';
import {
  uniquePrefix,
  useRedisServers,
  type RedisServers,
} from '../../../support/redis-harness.js';

const IDS = ['a', 'b', 'c'];

export interface StoredCounters {
  readonly redis: RedisServers;
  readonly prefix: string;
  readonly ring: HashRing;
  /** The COUNTD_* variables that reach the nodes (filled in once the servers are up). */
  readonly env: Record<string, string>;
  /** COUNTD_NODES for the suite's servers; `url(id)` may put another address for a node. */
  nodeSpec(url?: (id: string) => string | undefined): string;
}

/**
 * Storage nodes a, b, c (the suite's own servers) holding `values` where the storage layout
 * puts them, as workers would have flushed them. Call it in `describe`, like `useRedisServers`.
 */
export function useStoredCounters(
  suite: string,
  buckets: number,
  values: ReadonlyMap<string, bigint>,
): StoredCounters {
  const redis = useRedisServers({ count: IDS.length });
  // COUNTD_PREFIX allows no colons.
  const prefix = uniquePrefix(suite).replace(/:/g, '.');
  const ring = new HashRing(IDS.map((id) => ({ id, weight: 1 })));
  const layout = new StorageLayout(ring, prefix, buckets);
  const env: Record<string, string> = {};
  const nodeSpec = (url?: (id: string) => string | undefined) =>
    IDS.map((id, i) => `${id}=${url?.(id) ?? redis.server(i).url}`).join(',');

  beforeAll(async () => {
    Object.assign(env, {
      COUNTD_NODES: nodeSpec(),
      COUNTD_PREFIX: prefix,
      COUNTD_BUCKETS: String(buckets),
    });
    for (const [name, value] of values) {
      const { node, key, field } = layout.locate(name);
      await redis.server(IDS.indexOf(node)).client().hset(key, field, value.toString());
    }
  });
  return { redis, prefix, ring, env, nodeSpec };
}
