import { describe, expect, it } from 'vitest';
import { HashRing } from '../../../../src/ring/index.js';
import { runCli } from './run-cli.js';

// Issue 10, point 7: command-line input must reach countd exactly as given, or be refused.
const NODES = 'a=redis://127.0.0.1:7001,b=redis://127.0.0.1:7002,c=redis://127.0.0.1:7003';
const env = { COUNTD_NODES: NODES, COUNTD_QUEUE_URL: 'redis://127.0.0.1:7000' };
const ring = new HashRing(['a', 'b', 'c'].map((id) => ({ id, weight: 1 })));
const utf8 = (text: string) => Buffer.from(text, 'utf8');

describe('counter names on stdin', () => {
  it('reads a name whose multibyte character is cut between two chunks', async () => {
    const name = 'städte:zürich:€';
    const bytes = utf8(`first\n${name}\nlast\n`);
    const cut = bytes.indexOf(utf8('€')) + 1; // inside the 3 bytes of €
    const run = await runCli(['ring', 'locate', '-'], {
      env,
      stdin: [bytes.subarray(0, cut), bytes.subarray(cut)],
    });
    expect(run.stderr).toBe('');
    expect(run.stdout.split('\n')[1]).toBe(`${name}\t${ring.locate(name)}`);
    expect(run.code).toBe(0);
  });

  it('refuses bytes that are not UTF-8, naming the line', async () => {
    const run = await runCli(['ring', 'locate', '-'], {
      env,
      stdin: [Buffer.concat([utf8('good\nab'), Buffer.from([0xff]), utf8('c\nalso-good\n')])],
    });
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('countd ring locate: stdin line 2 is not valid UTF-8\n');
    expect(run.code).toBe(2);
  });

  it('refuses a truncated character at the end of stdin', async () => {
    const run = await runCli(['ring', 'locate', '-'], {
      env,
      stdin: [utf8('one\ntwo-€').subarray(0, -1)],
    });
    expect(run.stderr).toBe('countd ring locate: stdin line 2 is not valid UTF-8\n');
    expect(run.code).toBe(2);
  });

  it('keeps a real U+FFFD', async () => {
    const run = await runCli(['ring', 'locate', '-'], { env, stdin: [utf8('a\uFFFDb\n')] });
    expect(run.stdout).toBe(`a\uFFFDb\t${ring.locate('a\uFFFDb')}\n`);
    expect(run.code).toBe(0);
  });
});

describe('counter names in argv', () => {
  // Node turns bytes that are not UTF-8 into U+FFFD: only the raw bytes tell the two apart.
  it('refuses an argument that was not UTF-8', async () => {
    const raw = [utf8('ring'), utf8('locate'), Buffer.from([0x61, 0xff, 0x62])];
    const run = await runCli(['ring', 'locate', 'a\uFFFDb'], { env, rawArgv: raw });
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^countd: argument 3 is not valid UTF-8/);
    expect(run.code).toBe(2);
  });

  it('accepts a real U+FFFD when the raw bytes show it', async () => {
    const raw = [utf8('ring'), utf8('locate'), utf8('a\uFFFDb')];
    const run = await runCli(['ring', 'locate', 'a\uFFFDb'], { env, rawArgv: raw });
    expect(run.stdout).toBe(`a\uFFFDb\t${ring.locate('a\uFFFDb')}\n`);
    expect(run.code).toBe(0);
  });

  it('refuses U+FFFD when the raw bytes are unknown', async () => {
    const run = await runCli(['ring', 'locate', 'a\uFFFDb'], { env });
    expect(run.stderr).toMatch(/^countd: argument 3 holds U\+FFFD/);
    expect(run.code).toBe(2);
  });
});

describe('names and values that start with -', () => {
  it('countd incr -5 is a usage error that says how to name such a counter', async () => {
    const run = await runCli(['incr', '-5'], { env });
    expect(run.stderr).not.toMatch(/\\u0000|negative:/);
    expect(run.stderr).toContain('countd incr -- -5');
    expect(run.code).toBe(2);
  });

  it('countd incr -5 3 is the same usage error', async () => {
    const run = await runCli(['incr', '-5', '3'], { env });
    expect(run.stderr).not.toMatch(/\\u0000|negative:/);
    expect(run.stderr).toContain('countd incr -- -5');
    expect(run.code).toBe(2);
  });

  it('an unknown option says how to pass a name starting with -', async () => {
    const run = await runCli(['ring', 'locate', '-x'], { env });
    expect(run.stderr).toMatch(/^countd ring locate: unknown option '-x'; .* after --/);
    expect(run.code).toBe(2);
  });

  it('a name after -- is taken as it is', async () => {
    const run = await runCli(['ring', 'locate', '--', '-5'], { env });
    expect(run.stdout).toBe(`-5\t${ring.locate('-5')}\n`);
    expect(run.code).toBe(0);
  });
});
