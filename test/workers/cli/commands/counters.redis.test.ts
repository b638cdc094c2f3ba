import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import { useStoredCounters } from './stored-counters.js';

describe('countd counters / countd list', () => {
  const values = new Map<string, bigint>();
  for (let i = 0; i < 60; i++) values.set(`page:${i}`, BigInt(i));
  values.set('user:1', 9223372036854775807n);
  const { env } = useStoredCounters('cli-counters', 16, values);

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
