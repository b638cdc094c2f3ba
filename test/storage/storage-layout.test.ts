import { describe, expect, it } from 'vitest';
import { HashRing } from '../../src/ring/index.js';
import { StorageLayout, type NodeLocator } from '../../src/storage/index.js';

const onlyNode: NodeLocator = { locate: () => 'n1' };

describe('StorageLayout', () => {
  // Reference values from Python: zlib.crc32(name.encode('utf-8')).
  it.each([
    ['hello', 907060870],
    ['123456789', 3421780262], // the CRC-32 check value, 0xCBF43926
    ['€', 2213726422], // hashed as its 3 UTF-8 bytes
    ['page:/home', 3952737595],
    ['😀', 88978756], // a surrogate pair, hashed as 4 UTF-8 bytes
  ])('puts %j in bucket crc32(utf8(name)) mod B (crc32 = %d)', (name, crc) => {
    for (const buckets of [1, 64, 1000, 4096]) {
      const layout = new StorageLayout(onlyNode, 'countd', buckets);
      expect(layout.bucketOf(name)).toBe(crc % buckets);
    }
  });

  it('maps "hello" to countd:t:1670 with 4096 buckets', () => {
    const layout = new StorageLayout(onlyNode, 'countd', 4096);
    expect(layout.locate('hello')).toEqual({ node: 'n1', key: 'countd:t:1670', field: 'hello' });
  });

  it('asks the ring for the node, and never lets the node depend on the bucket', () => {
    const ring = new HashRing([
      { id: 'a', weight: 1 },
      { id: 'b', weight: 1 },
      { id: 'c', weight: 2 },
    ]);
    const layout = new StorageLayout(ring, 'app', 64);
    for (let i = 0; i < 200; i++) {
      const name = `counter-${i}`;
      const where = layout.locate(name);
      expect(where.node).toBe(ring.locate(name));
      expect(where.key).toBe(`app:t:${layout.bucketOf(name)}`);
      expect(where.field).toBe(name);
    }
    // Every bucket is used on every node: the bucket hash is independent of the ring's.
    const seen = new Map<string, Set<number>>();
    for (let i = 0; i < 20_000; i++) {
      const where = layout.locate(`k${i}`);
      const buckets = seen.get(where.node) ?? new Set<number>();
      buckets.add(layout.bucketOf(`k${i}`));
      seen.set(where.node, buckets);
    }
    for (const id of ['a', 'b', 'c']) expect(seen.get(id)?.size).toBe(64);
  });

  it('spreads names evenly over the buckets', () => {
    const layout = new StorageLayout(onlyNode, 'countd', 64);
    const counts = new Array<number>(64).fill(0);
    for (let i = 0; i < 64_000; i++) counts[layout.bucketOf(`user:${i}:views`)]!++;
    expect(Math.min(...counts)).toBeGreaterThan(850);
    expect(Math.max(...counts)).toBeLessThan(1150);
  });

  it('builds its keys from the prefix through CountdKeys', () => {
    const layout = new StorageLayout(onlyNode, 'tenant{7}', 16);
    expect(layout.bucketKey(3)).toBe('tenant{7}:t:3');
    expect(layout.bucketKey(3)).toBe(layout.keys.bucket(3));
    expect(layout.keys.bucketPattern()).toBe('tenant{7}:t:*');
    expect(layout.keys.applied('p-1')).toBe('tenant{7}:applied:p-1');
    expect(layout.keys.updatesChannel()).toBe('tenant{7}:updates');
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses %s buckets', (buckets) => {
    expect(() => new StorageLayout(onlyNode, 'countd', buckets)).toThrow(
      /buckets must be a positive integer/,
    );
  });
});
