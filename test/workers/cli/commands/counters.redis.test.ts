import { beforeAll, describe, expect, it } from 'vitest';
import { HashRing } from '../../../../src/ring/index.js';
import { StorageLayout } from '../../../../src/storage/index.js';
import { uniquePrefix, useRedisServers } from '../../../support/redis-harness.js';
import { runCli } from './run-cli.js';

const IDS = ['a', 'b', 'c'];

describe('countd counters / countd list', () => {
  const redis = useRedisServers({ count: 3 });
  const prefix = uniquePrefix('cli-counters').replace(/:/g, '.');
  const ring = new HashRing(IDS.map((id) => ({ id, weight: 1 })));
  const layout = new StorageLayout(ring, prefix, 16);
  const values = new Map<string, bigint>();
  let env: Record<string, string>;

  beforeAll(async () => {
    env = {
      COUNTD_NODES: IDS.map((id, i) => `${id}=${redis.server(i).url}`).join(','),
      COUNTD_PREFIX: prefix,
      COUNTD_BUCKETS: '16',
    };
    for (let i = 0; i < 60; i++) values.set(`page:${i}`, BigInt(i));
    values.set('user:1', 9223372036854775807n);
    for (const [name, value] of values) {
      const { node, key, field } = layout.locate(name);
      await redis.server(IDS.indexOf(node)).client().hset(key, field, value.toString());
    }
  });

  function parseLines(stdout: string): Map<string, bigint> {
    const out = new Map<string, bigint>();
    for (const line of stdout.split('\n').filter((l) => l !== '')) {
      const [name, value] = line.split('\t');
      expect(out.has(name!)).toBe(false);
      out.set(name!, BigInt(value!));
    }
    return out;
  }

  it('lists every counter matching the glob once, with exact values', async () => {
    const all = await runCli(['counters'], { env });
    expect(all.code).toBe(0);
    expect(parseLines(all.stdout)).toEqual(values);
    const some = await runCli(['list', 'page:1?'], { env });
    expect(some.code).toBe(0);
    expect([...parseLines(some.stdout).keys()].sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `page:1${i}`).sort(),
    );
  });

  it('stops at --limit and says more match', async () => {
    const result = await runCli(['counters', '--limit', '5', 'page:*'], { env });
    expect(result.code).toBe(0);
    expect(parseLines(result.stdout).size).toBe(5);
    expect(result.stderr).toMatch(/stopped after 5 counters/);
  });

  it('prints one JSON object with exact numbers with --json', async () => {
    const result = await runCli(['counters', '--json', 'user:*'], { env });
    expect(result).toEqual({ code: 0, stdout: '{"user:1":9223372036854775807}\n', stderr: '' });
    const none = await runCli(['counters', '--json', 'nothing:*'], { env });
    expect(none.stdout).toBe('{}\n');
  });

  it('exits 2 on bad usage', async () => {
    for (const argv of [
      ['counters', 'a', 'b'],
      ['counters', '--limit', '-1'],
      ['counters', ''],
    ]) {
      const result = await runCli(argv, { env });
      expect(result.code, argv.join(' ')).toBe(2);
    }
  });
});
