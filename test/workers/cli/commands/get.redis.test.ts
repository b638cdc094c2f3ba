import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import { useStoredCounters } from './stored-counters.js';

describe('countd get', () => {
  const values = new Map<string, bigint>([
    ['page:home', 42n],
    ['page:about', -7n],
    ['clé:été', 3n],
    ['int64:max', 9223372036854775807n],
    ['int64:min', -9223372036854775808n],
    ['beyond:2^53', 9007199254740993n],
  ]);
  const { prefix, ring, env, nodeSpec } = useStoredCounters('cli-get', 64, values);

  it('spreads its counters over more than one node', () => {
    expect(new Set([...values.keys()].map((name) => ring.locate(name))).size).toBeGreaterThan(1);
  });

  it('prints name<TAB>value per name, in order, 0 for missing counters', async () => {
    const result = await runCli(['get', 'page:home', 'missing', 'clé:été', 'page:home'], { env });
    expect(result).toEqual({
      code: 0,
      stdout: 'page:home\t42\nmissing\t0\nclé:été\t3\npage:home\t42\n',
      stderr: '',
    });
  });

  it('prints int64 values exactly, in text and in JSON', async () => {
    const names = [...values.keys()];
    const text = await runCli(['get', ...names], { env });
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(names.map((n) => `${n}\t${values.get(n)}\n`).join(''));

    const json = await runCli(['get', '--json', ...names, 'missing'], { env });
    expect(json.code).toBe(0);
    expect(json.stdout).toBe(
      `{"page:home":42,"page:about":-7,"clé:été":3,"int64:max":9223372036854775807,` +
        `"int64:min":-9223372036854775808,"beyond:2^53":9007199254740993,"missing":0}\n`,
    );
    // Valid JSON; JSON.parse itself rounds the big ones, which is why they are written by hand.
    expect(JSON.parse(json.stdout)).toMatchObject({ 'page:home': 42, missing: 0 });
  });

  it('reads names from stdin with -', async () => {
    const names = Array.from({ length: 25_000 }, (_, i) => `bulk:${i}`);
    const result = await runCli(['get', '-'], {
      env,
      stdin: `page:home\r\n${names.join('\n')}\npage:about\n`,
    });
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('page:home\t42');
    expect(lines.at(-2)).toBe('page:about\t-7');
    expect(lines).toHaveLength(names.length + 3);
  });

  it('takes the config from flags too', async () => {
    const spec = nodeSpec();
    const result = await runCli(
      ['get', '--json', '--nodes', spec, '--prefix', prefix, '--buckets', '64', 'page:home'],
      { env: {} },
    );
    expect(result).toEqual({ code: 0, stdout: '{"page:home":42}\n', stderr: '' });
  });

  it('exits 2 on bad usage, bad names and bad config', async () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [['get'], env, /give at least one counter name/],
      [['get', '--bogus', 'x'], env, /--bogus/],
      [['get', 'tab\there'], env, /control character/],
      [['get', 'x'], {}, /COUNTD_NODES: not set/],
      [['get', 'x'], { ...env, COUNTD_BUCKETS: 'many' }, /COUNTD_BUCKETS/],
      [['get', '--ring-algorithm', 'nope', 'x'], env, /--ring-algorithm/],
    ];
    for (const [argv, caseEnv, message] of cases) {
      const result = await runCli(argv, { env: caseEnv });
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stdout).toBe('');
    }
  });

  it('exits 1 naming the node when one is unreachable, without hanging', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise((resolve) => probe.close(resolve));
    const spec = nodeSpec((id) => (id === 'b' ? `redis://127.0.0.1:${port}` : undefined));
    const onB = [...values.keys()].find((name) => ring.locate(name) === 'b');
    expect(onB).toBeDefined();
    const started = Date.now();
    const result = await runCli(['get', onB!], { env: { ...env, COUNTD_NODES: spec } });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('storage node b');
    expect(result.stderr).toContain(`127.0.0.1:${port}`);
    expect(result.stdout).toBe('');
  });

  it('--help describes the command', async () => {
    const result = await runCli(['get', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Usage: countd get/);
  });
});
