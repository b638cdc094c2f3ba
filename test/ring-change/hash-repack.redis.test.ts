import { describe, expect, it } from 'vitest';
import { repackHashes } from '../../src/ring-change/hash-repack.js';
import { StorageLayout } from '../../src/storage/index.js';
import { uniquePrefix, useRedisServers } from '../support/redis-harness.js';

describe('repackHashes', () => {
  const redis = useRedisServers({ count: 1 });

  it('rewrites hashtables that fit a listpack again, values kept, and leaves the rest', async () => {
    const client = redis.server(0).client();
    const [, limitText] = (await client.config('GET', 'hash-max-listpack-entries')) as string[];
    const limit = Number(limitText);
    const layout = new StorageLayout({ locate: () => 'a' }, uniquePrefix('repack'), 3);
    const [emptied, full, small] = [0, 1, 2].map((b) => layout.bucketKey(b)) as [
      string,
      string,
      string,
    ];
    const fields = (n: number) => Array.from({ length: n }, (_, i) => [`c${i}`, String(i - 7)]);
    // Past the limit, then emptied to 10 fields (as a change moves counters out): a hashtable.
    await client.hset(emptied, Object.fromEntries(fields(limit + 50)));
    await client.hdel(emptied, ...fields(limit + 40).map(([f]) => f!));
    await client.hset(full, Object.fromEntries(fields(limit + 1)));
    await client.hset(small, Object.fromEntries(fields(5)));
    const before = await Promise.all([emptied, full, small].map((k) => client.hgetall(k)));
    const encoding = (key: string) => client.object('ENCODING', key);
    expect(await Promise.all([emptied, full, small].map(encoding))).toEqual([
      'hashtable',
      'hashtable',
      'listpack',
    ]);

    expect(await repackHashes(client, layout)).toBe(1);
    expect(await Promise.all([emptied, full, small].map(encoding))).toEqual([
      'listpack',
      'hashtable',
      'listpack',
    ]);
    expect(await Promise.all([emptied, full, small].map((k) => client.hgetall(k)))).toEqual(before);
    expect(await repackHashes(client, layout)).toBe(0);
  });
});
