import { beforeAll, describe, expect, it } from 'vitest';
import { HashRing } from '../../src/ring/index.js';
import { StorageLayout } from '../../src/storage/index.js';
import { uniquePrefix, useRedisServers } from '../support/redis-harness.js';
import { ensureBuilt } from './build-once.js';
import { runCountd } from './support/countd-run.js';

// Issue 10, point 7, through a real process: argv bytes from the OS, stdin through a pipe.
describe('countd get with names as the OS hands them over', () => {
  const redis = useRedisServers({ count: 1 });
  const prefix = uniquePrefix('cli-input').replace(/:/g, '.');
  const layout = new StorageLayout(new HashRing([{ id: 'a', weight: 1 }]), prefix, 16);
  // 3-byte characters nearly throughout: a read that cuts the stream cuts one of them.
  const euros = '€uro:€€€€';
  let env: Record<string, string>;

  beforeAll(async () => {
    await ensureBuilt();
    env = {
      PATH: process.env.PATH ?? '',
      COUNTD_NODES: `a=${redis.server(0).url}`,
      COUNTD_PREFIX: prefix,
      COUNTD_BUCKETS: '16',
    };
    const client = redis.server(0).client();
    for (const [name, value] of [
      ['a\uFFFDb', 7],
      [euros, 42],
    ] as const) {
      const { key, field } = layout.locate(name);
      await client.hset(key, field, String(value));
    }
  }, 180_000);

  it('refuses a name in argv that is not UTF-8', async () => {
    const run = await runCountd(['get', Buffer.from([0x61, 0xff, 0x62])], { env });
    expect(run.output).toBe(
      'countd: argument 2 is not valid UTF-8: countd takes names and options as UTF-8 text\n',
    );
    expect(run.code).toBe(2);
  });

  it('takes a real U+FFFD in argv', async () => {
    const run = await runCountd(['get', 'a\uFFFDb'], { env });
    expect(run.output).toBe('a\uFFFDb\t7\n');
    expect(run.code).toBe(0);
  });

  it('reads names cut by the 64 KiB reads of a pipe', async () => {
    const copies = 50_000; // 950 KB: some 15 reads, each ending inside a character
    const stdin = Buffer.from(`${euros}\n`.repeat(copies), 'utf8');
    const run = await runCountd(['get', '-'], { env, stdin });
    const lines = run.stdout.toString().split('\n').slice(0, -1);
    const wrong = lines.filter((line) => line !== `${euros}\t42`);
    expect({ lines: lines.length, wrong: wrong.slice(0, 3) }).toEqual({ lines: copies, wrong: [] });
    expect(run.code).toBe(0);
  });

  it('refuses stdin that is not UTF-8, naming the line', async () => {
    const stdin = Buffer.concat([
      Buffer.from('one\ntwo\nthr'),
      Buffer.from([0xe9]),
      Buffer.from('e\n'),
    ]);
    const run = await runCountd(['get', '-'], { env, stdin });
    expect(run.output).toBe('countd get: stdin line 3 is not valid UTF-8\n');
    expect(run.code).toBe(2);
  });
});
