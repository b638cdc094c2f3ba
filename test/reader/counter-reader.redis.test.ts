import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClosedError, InvalidCounterNameError, StorageError } from '../../src/errors/index.js';
import {
  CorruptCounterValueError,
  CounterReader,
  INT64_MAX,
  INT64_MIN,
  InvalidCounterValueError,
  InvalidCursorError,
  UnsafeCounterValueError,
  matchGlob,
  type ReaderNode,
} from '../../src/reader/index.js';
import { HashRing } from '../../src/ring/index.js';
import { StorageLayout } from '../../src/storage/index.js';
import { uniquePrefix, useRedisServers } from '../support/redis-harness.js';

const IDS = ['a', 'b', 'c'];
const BUCKETS = 8;

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('CounterReader on 3 storage nodes', () => {
  const redis = useRedisServers({ count: 3 });
  const prefix = uniquePrefix('reader');
  const ring = new HashRing(IDS.map((id) => ({ id, weight: 1 })));
  const layout = new StorageLayout(ring, prefix, BUCKETS);
  const expected = new Map<string, number>();
  let nodes: ReaderNode[];
  let reader: CounterReader;
  let exact: CounterReader<'bigint'>;

  /** Writes a delta where the workers would: HINCRBY on the ring's node, in the layout's hash. */
  async function hincrby(name: string, delta: number | bigint): Promise<void> {
    const { node, key, field } = layout.locate(name);
    await redis.server(IDS.indexOf(node)).client().hincrby(key, field, delta.toString());
  }

  beforeAll(async () => {
    nodes = IDS.map((id, i) => ({
      id,
      connection: { host: redis.server(i).host, port: redis.server(i).port },
    }));
    reader = new CounterReader({ nodes, ring, prefix, buckets: BUCKETS });
    exact = new CounterReader({ nodes, ring, prefix, buckets: BUCKETS, values: 'bigint' });
    for (let i = 0; i < 120; i++) {
      const name = i % 3 === 0 ? `page:${i}` : `user:${i}:views`;
      const value = ((i * 7919) % 1000) - 300;
      await hincrby(name, value);
      await hincrby(name, 1);
      expected.set(name, value + 1);
    }
  });

  afterAll(async () => {
    await reader?.close();
    await exact?.close();
  });

  it('has counters on every node', () => {
    const perNode = new Map<string, number>();
    for (const name of expected.keys()) {
      const node = ring.locate(name);
      perNode.set(node, (perNode.get(node) ?? 0) + 1);
    }
    expect([...perNode.keys()].sort()).toEqual(IDS);
    for (const count of perNode.values()) expect(count).toBeGreaterThan(10);
  });

  it('gets each counter from its node, and 0 for a missing one', async () => {
    for (const [name, value] of expected) expect(await reader.get(name)).toBe(value);
    expect(await reader.get('never:written')).toBe(0);
    expect(await exact.get('never:written')).toBe(0n);
  });

  it('getMany returns every counter in input order, duplicates once, missing as 0', async () => {
    const names = [...expected.keys()].reverse();
    const asked = ['missing:1', ...names, names[0]!, 'missing:2'];
    const values = await reader.getMany(asked);
    expect([...values.keys()]).toEqual(['missing:1', ...names, 'missing:2']);
    expect(values.get('missing:1')).toBe(0);
    expect(values.get('missing:2')).toBe(0);
    for (const name of names) expect(values.get(name)).toBe(expected.get(name));
    expect((await reader.getMany([])).size).toBe(0);
    const bigints = await exact.getMany(names.slice(0, 5));
    for (const [name, value] of bigints) expect(value).toBe(BigInt(expected.get(name)!));
  });

  it('rejects invalid names with InvalidCounterNameError before any I/O', async () => {
    await expect(reader.get('')).rejects.toBeInstanceOf(InvalidCounterNameError);
    await expect(reader.getMany(['ok', 'tab\there'])).rejects.toBeInstanceOf(
      InvalidCounterNameError,
    );
    await expect(reader.set('line\nbreak', 1)).rejects.toBeInstanceOf(InvalidCounterNameError);
  });

  it('set replaces the stored value; increments landing later add to it', async () => {
    await reader.set('set:me', 42);
    expect(await reader.get('set:me')).toBe(42);
    await hincrby('set:me', 5); // an increment that was in flight during the set
    expect(await reader.get('set:me')).toBe(47);
    await reader.set('set:me', -3n);
    expect(await reader.get('set:me')).toBe(-3);
    await reader.reset('set:me');
  });

  it('reset deletes the counter; increments in flight bring it back', async () => {
    await hincrby('reset:me', 10);
    await reader.reset('reset:me');
    expect(await reader.get('reset:me')).toBe(0);
    const { node, key, field } = layout.locate('reset:me');
    expect(await redis.server(IDS.indexOf(node)).client().hexists(key, field)).toBe(0);
    await hincrby('reset:me', 2);
    expect(await reader.get('reset:me')).toBe(2);
    await reader.reset('reset:me');
    await reader.reset('never:existed');
  });

  it('rejects values that are not safe integers or int64 bigints', async () => {
    for (const bad of [1.5, 2 ** 53, Number.NaN, INT64_MAX + 1n, INT64_MIN - 1n, '5' as never]) {
      await expect(reader.set('bad:value', bad)).rejects.toBeInstanceOf(InvalidCounterValueError);
    }
    expect(await reader.get('bad:value')).toBe(0);
  });

  it('reads int64 extremes exactly as bigints; numbers refuse to round them', async () => {
    await reader.set('int64:max', INT64_MAX);
    await reader.set('int64:min', INT64_MIN);
    await reader.set('safe:max', Number.MAX_SAFE_INTEGER);
    await reader.set('unsafe:min', -(2n ** 53n));
    expect(await exact.get('int64:max')).toBe(INT64_MAX);
    expect(await exact.get('int64:min')).toBe(INT64_MIN);
    expect(await reader.get('safe:max')).toBe(Number.MAX_SAFE_INTEGER);
    const error = await reader.get('int64:max').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(UnsafeCounterValueError);
    expect((error as UnsafeCounterValueError).value).toBe(INT64_MAX);
    expect((error as UnsafeCounterValueError).node).toBe(ring.locate('int64:max'));
    await expect(reader.get('unsafe:min')).rejects.toBeInstanceOf(UnsafeCounterValueError);
    await expect(reader.getMany(['safe:max', 'int64:min'])).rejects.toBeInstanceOf(
      UnsafeCounterValueError,
    );
    const many = await exact.getMany(['int64:min', 'int64:max', 'safe:max']);
    expect([...many.values()]).toEqual([INT64_MIN, INT64_MAX, BigInt(Number.MAX_SAFE_INTEGER)]);
    for (const name of ['int64:max', 'int64:min', 'safe:max', 'unsafe:min']) {
      await reader.reset(name);
    }
  });

  it('reports a field another client filled with a non-integer', async () => {
    const { node, key, field } = layout.locate('corrupt:one');
    await redis.server(IDS.indexOf(node)).client().hset(key, field, 'twelve');
    await expect(reader.get('corrupt:one')).rejects.toBeInstanceOf(CorruptCounterValueError);
    await expect(exact.get('corrupt:one')).rejects.toBeInstanceOf(CorruptCounterValueError);
    await reader.reset('corrupt:one');
  });

  it('pages through list with a small count: every matching counter exactly once', async () => {
    for (const glob of ['*', 'page:*', 'user:1?:views', 'user:[0-4]*']) {
      const seen: Array<[string, number]> = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await reader.list(glob, { cursor, count: 3 });
        seen.push(...page.counters);
        cursor = page.cursor;
        pages++;
        expect(pages).toBeLessThan(1000);
      } while (cursor !== undefined);
      const want = [...expected].filter(([name]) => matchGlob(glob, name));
      expect(want.length).toBeGreaterThan(0);
      expect(seen.map(([name]) => name).sort()).toEqual(want.map(([name]) => name).sort());
      expect(new Map(seen)).toEqual(new Map(want));
      if (glob === '*') expect(pages).toBeGreaterThan(10);
    }
  });

  it('listAll iterates every page; bigint readers list bigints', async () => {
    const all = new Map<string, number>();
    for await (const [name, value] of reader.listAll('*', { count: 7 })) {
      expect(all.has(name)).toBe(false);
      all.set(name, value);
    }
    expect(all).toEqual(expected);
    const pages = exact.listAll('page:*');
    const first = await pages.next();
    expect(typeof first.value?.[1]).toBe('bigint');
    await pages.return(undefined);
    const none = [];
    for await (const entry of reader.listAll('no-such-counter-*')) none.push(entry);
    expect(none).toEqual([]);
  });

  it('pages inside hashes too big for one HSCAN reply (hashtable encoding)', async () => {
    const big = uniquePrefix('reader-big');
    const oneBucket = new StorageLayout(ring, big, 1);
    const want = new Map<string, number>();
    // Above hash-max-listpack-entries (512 by default) per node: hashtable hashes.
    const pipelines = IDS.map((_, i) => redis.server(i).client().pipeline());
    for (let i = 0; i < 2400; i++) {
      const { node, key, field } = oneBucket.locate(`big:${i}`);
      pipelines[IDS.indexOf(node)]!.hset(key, field, i);
      want.set(`big:${i}`, i);
    }
    await Promise.all(pipelines.map((p) => p.exec()));
    const { node, key } = oneBucket.locate('big:0');
    expect(await redis.server(IDS.indexOf(node)).client().object('ENCODING', key)).toBe(
      'hashtable',
    );
    const bigReader = new CounterReader({ nodes, ring, prefix: big, buckets: 1 });
    try {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await bigReader.list('big:*', { cursor, count: 10 });
        expect(page.counters.length).toBeLessThan(100);
        for (const [name, value] of page.counters) {
          expect(value).toBe(want.get(name));
          seen.push(name);
        }
        cursor = page.cursor;
      } while (cursor !== undefined);
      expect(seen.sort()).toEqual([...want.keys()].sort());
    } finally {
      await bigReader.close();
    }
  });

  it('rejects cursors it did not make', async () => {
    const forged = Buffer.from(
      JSON.stringify({ v: 1, n: 'a', s: null, p: [['secret:key', '0']] }),
    ).toString('base64url');
    for (const cursor of [
      'garbage',
      forged,
      Buffer.from('{"v":1,"n":"zz"}').toString('base64url'),
    ]) {
      await expect(reader.list('*', { cursor })).rejects.toBeInstanceOf(InvalidCursorError);
    }
    await expect(reader.list('*', { count: 0 })).rejects.toThrow(/count/);
  });

  it('fails fast with a StorageError naming an unreachable node', async () => {
    const port = await closedPort();
    const broken = new CounterReader({
      nodes: nodes.map((node) =>
        node.id === 'c' ? { id: 'c', connection: { host: '127.0.0.1', port } } : node,
      ),
      ring,
      prefix,
      buckets: BUCKETS,
      connectTimeoutMs: 1000,
      commandTimeoutMs: 2000,
    });
    try {
      const onC = [...expected.keys()].find((name) => ring.locate(name) === 'c')!;
      const onA = [...expected.keys()].find((name) => ring.locate(name) === 'a')!;
      const started = Date.now();
      const error = await broken.get(onC).catch((err: unknown) => err);
      expect(Date.now() - started).toBeLessThan(2500);
      expect(error).toBeInstanceOf(StorageError);
      expect((error as StorageError).node).toBe('c');
      expect((error as Error).message).toContain(`127.0.0.1:${port}`);
      expect((error as Error).message).toMatch(/ECONNREFUSED/);
      await expect(broken.getMany([onA, onC])).rejects.toBeInstanceOf(StorageError);
      expect(await broken.get(onA)).toBe(expected.get(onA));
    } finally {
      await broken.close();
    }
  });

  it('close is idempotent and later calls throw ClosedError', async () => {
    const short = new CounterReader({ nodes, ring, prefix, buckets: BUCKETS });
    expect(await short.get('page:0')).toBe(expected.get('page:0'));
    const first = short.close();
    expect(short.close()).toBe(first);
    await first;
    await expect(short.get('page:0')).rejects.toBeInstanceOf(ClosedError);
    expect(() => short.watch('*', () => undefined)).toThrow(ClosedError);
  });
});
