import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { HashRing } from '../../../../src/ring/index.js';
import type { CommandIo } from '../../../../workers/cli/command.js';
import { main } from '../../../../workers/cli/main.js';

const NODES = 'a=redis://127.0.0.1:7001,b=redis://127.0.0.1:7002,c=redis://127.0.0.1:7003';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function run(
  argv: readonly string[],
  options: { env?: Record<string, string>; stdin?: string } = {},
): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk.toString('utf8')));
  stderr.on('data', (chunk: Buffer) => err.push(chunk.toString('utf8')));
  stdin.end(options.stdin ?? '');
  const io: CommandIo = {
    env: options.env ?? {},
    stdout,
    stderr,
    stdin,
    stopSignal: new AbortController().signal,
  };
  const code = await main(argv, io);
  await new Promise((resolve) => setImmediate(resolve));
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const ring = new HashRing(['a', 'b', 'c'].map((id) => ({ id, weight: 1 })));

describe('countd ring locate', () => {
  it('prints name<TAB>nodeId for each name given as arguments', async () => {
    const result = await run(['ring', 'locate', '--nodes', NODES, 'page:home', 'a', 'clé:été']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('page:home\tc\na\ta\nclé:été\tc\n');
  });

  it('reads names from stdin with -, and the node list from COUNTD_NODES', async () => {
    const names = Array.from({ length: 500 }, (_, i) => `user:${i}`);
    const result = await run(['ring', 'locate', '-'], {
      env: { COUNTD_NODES: NODES },
      stdin: `${names.join('\n')}\r\n`,
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(names.map((n) => `${n}\t${ring.locate(n)}\n`).join(''));
  });

  it('prefers --nodes over COUNTD_NODES', async () => {
    const result = await run(['ring', 'locate', '--nodes', 'solo=redis://h:1', 'x'], {
      env: { COUNTD_NODES: NODES },
    });
    expect(result.stdout).toBe('x\tsolo\n');
  });

  it('uses the points algorithm with --points', async () => {
    const points = new HashRing(
      ['a', 'b', 'c'].map((id) => ({ id, weight: 1 })),
      { algorithm: 'points', pointsPerWeight: 1000 },
    );
    const names = Array.from({ length: 200 }, (_, i) => `n${i}`);
    const result = await run(['ring', 'locate', '--nodes', NODES, '--points', '1000', ...names]);
    expect(result.stdout).toBe(names.map((n) => `${n}\t${points.locate(n)}\n`).join(''));
  });
});

describe('countd ring stats', () => {
  it('prints per-node balance against weights', async () => {
    const result = await run(['ring', 'stats', '--nodes', NODES, '--keys', '20000']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/algorithm ketama, 20000 synthetic keys/);
    expect(result.stdout).toMatch(/^a\s+1\s+160\s+\d+\s+[\d.]+%\s+33\.33%\s+[\d.]+$/m);
    expect(result.stdout).toMatch(/balance: max\/mean \d\.\d{3}, stddev \d\.\d{3}/);
  });

  it('reports keys moved by --add and --remove against the ideal, as JSON', async () => {
    const result = await run([
      'ring',
      'stats',
      '--nodes',
      NODES,
      '--algorithm',
      'points',
      '--points',
      '1000',
      '--keys',
      '50000',
      '--add',
      'd:3',
      '--json',
    ]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      algorithm: string;
      pointsPerWeight: number;
      before: { nodes: { id: string }[] };
      after: { nodes: { id: string; points: number }[] };
      movement: { keys: number; moved: number; fraction: number; ideal: number };
    };
    expect(report.algorithm).toBe('points');
    expect(report.pointsPerWeight).toBe(1000);
    expect(report.after.nodes.map((n) => [n.id, n.points])).toEqual([
      ['a', 1000],
      ['b', 1000],
      ['c', 1000],
      ['d', 3000],
    ]);
    expect(report.movement.keys).toBe(50_000);
    expect(report.movement.ideal).toBeCloseTo(0.5, 12);
    expect(Math.abs(report.movement.fraction / report.movement.ideal - 1)).toBeLessThan(0.1);
  });

  it('prints the moved fraction in text for a removal', async () => {
    const result = await run(['ring', 'stats', '--nodes', NODES, '--remove', 'b']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/after the change: 2 nodes/);
    expect(result.stdout).toMatch(/moved: [\d.]+% of keys \(\d+ of 100000\); ideal 33\.33%/);
  });

  it('notes node ids libketama would cut', async () => {
    const long = 'storage-node-eu-west-1a';
    const result = await run(['ring', 'stats', '--nodes', `${long}=redis://h:1`, '--keys', '10']);
    expect(result.stdout).toMatch(
      /note: node id "storage-node-eu-west-1a" is longer than 21 bytes/,
    );
  });
});

describe('countd ring errors', () => {
  const usage: [string, string[], RegExp][] = [
    ['no subcommand', ['ring'], /give a subcommand/],
    ['an unknown subcommand', ['ring', 'spin'], /unknown subcommand "spin"/],
    ['an unknown flag', ['ring', 'locate', '--nodes', NODES, '--bogus', 'x'], /--bogus/],
    [
      'a stats-only flag on locate',
      ['ring', 'locate', '--nodes', NODES, '--keys', '5', 'x'],
      /--keys/,
    ],
    ['no node list', ['ring', 'locate', 'x'], /--nodes SPEC or COUNTD_NODES/],
    ['no names', ['ring', 'locate', '--nodes', NODES], /at least one counter name/],
    ['a bad --keys', ['ring', 'stats', '--nodes', NODES, '--keys', 'many'], /--keys: "many"/],
    ['a bad --algorithm', ['ring', 'stats', '--nodes', NODES, '--algorithm', 'x'], /--algorithm/],
    [
      '--points with ketama',
      ['ring', 'stats', '--nodes', NODES, '--algorithm', 'ketama', '--points', '9'],
      /--points: applies to --algorithm points only/,
    ],
    [
      'a bad node spec',
      ['ring', 'locate', '--nodes', 'a:0=redis://h:1', 'x'],
      /^--nodes.*weight 0/,
    ],
    [
      'a duplicate node',
      ['ring', 'locate', '--nodes', 'a=redis://h:1,a=redis://h:2', 'x'],
      /twice/,
    ],
    ['a bad URL scheme', ['ring', 'locate', '--nodes', 'a=http://h:1', 'x'], /unsupported scheme/],
    [
      'removing an unknown node',
      ['ring', 'stats', '--nodes', NODES, '--remove', 'z'],
      /"z" is not in/,
    ],
    ['adding a present node', ['ring', 'stats', '--nodes', NODES, '--add', 'a'], /already in/],
    [
      'adding a bad weight',
      ['ring', 'stats', '--nodes', NODES, '--add', 'd:x'],
      /--add: weight "x"/,
    ],
  ];
  for (const [label, argv, message] of usage) {
    it(`exits 2 on ${label}`, async () => {
      const result = await run(argv);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stdout).toBe('');
    });
  }

  it('names COUNTD_NODES when the bad list came from the environment, hiding the password', async () => {
    const result = await run(['ring', 'locate', 'x'], {
      env: { COUNTD_NODES: 'a=ftp://u:hunter2@h:1' },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^COUNTD_NODES/);
    expect(result.stderr).not.toContain('hunter2');
  });

  it('prints help with --help and exit 0', async () => {
    const result = await run(['ring', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/countd ring locate --nodes SPEC/);
    expect(result.stdout).toMatch(/countd ring stats/);
  });

  it('is listed by countd --help', async () => {
    const result = await run(['--help']);
    expect(result.stdout).toMatch(/ring\s+locate counters on the ring/);
  });
});

describe('countd ring locate follows the fleet settings', () => {
  const nodes = 'a=redis://h:1,b=redis://h:2,c=redis://h:3';
  const names = Array.from({ length: 200 }, (_, i) => `env:${i}`);

  it('uses COUNTD_RING_ALGORITHM and COUNTD_RING_POINTS like a worker does', async () => {
    const fromEnv = await run(['ring', 'locate', '-'], {
      env: { COUNTD_NODES: nodes, COUNTD_RING_ALGORITHM: 'points', COUNTD_RING_POINTS: '7' },
      stdin: names.join('\n'),
    });
    const fromFlags = await run(['ring', 'locate', '--nodes', nodes, '--points', '7', '-'], {
      stdin: names.join('\n'),
    });
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.stdout).toBe(fromFlags.stdout);
    // 7 points per node places differently from ketama's 160: the settings were applied.
    const ketama = await run(['ring', 'locate', '--nodes', nodes, '-'], {
      stdin: names.join('\n'),
    });
    expect(fromEnv.stdout).not.toBe(ketama.stdout);
  });

  it('takes --ring-algorithm and --ring-points like every command, the earlier names too', async () => {
    const stdin = names.join('\n');
    const settings = await run(
      ['ring', 'locate', '--nodes', nodes, '--ring-algorithm', 'points', '--ring-points', '7', '-'],
      { stdin },
    );
    const earlier = await run(
      ['ring', 'locate', '--nodes', nodes, '--algorithm', 'points', '--points', '7', '-'],
      { stdin },
    );
    const points = new HashRing(
      ['a', 'b', 'c'].map((id) => ({ id, weight: 1 })),
      { algorithm: 'points', pointsPerWeight: 7 },
    );
    expect(settings.code).toBe(0);
    expect(settings.stdout).toBe(names.map((n) => `${n}\t${points.locate(n)}\n`).join(''));
    expect(earlier.stdout).toBe(settings.stdout);
  });

  it('names the flag when --ring-points is bad', async () => {
    const result = await run(['ring', 'locate', '--nodes', nodes, '--ring-points', '0', 'x']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^--ring-points: 0 is out of range/);
  });

  it('names the variable when its value is bad', async () => {
    const result = await run(['ring', 'locate', 'x'], {
      env: { COUNTD_NODES: nodes, COUNTD_RING_ALGORITHM: 'bogus' },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('COUNTD_RING_ALGORITHM');
  });
});
