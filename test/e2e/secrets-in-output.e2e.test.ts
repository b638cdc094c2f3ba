import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useRedisServers } from '../support/redis-harness.js';
import { ensureBuilt } from './build-once.js';
import { runCountd, type CountdRun } from './support/countd-run.js';

// Issue 10, point 6: no password of the configuration may reach any output of the CLI: not
// the worker's log (ioredis puts `AUTH user pass` on its errors), not a parse error.
const REAL = 'R3al-s3cret-pw';
// Needs JSON escaping and percent-encoding: every written form of it is grepped for.
const WRONG = 'Wr0ng"p\\ss%é';

/** Every form in which `secret` could appear in a log line or a URL. */
function forms(secret: string): string[] {
  return [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)];
}

/** The secrets found in `output`, with the form that was found. */
function leaks(output: string, secrets: readonly string[]): string[] {
  return secrets.flatMap((s) => forms(s).filter((form) => output.includes(form)));
}

describe('secrets in the output of failing runs', () => {
  const redis = useRedisServers({ count: 1, extraArgs: ['--requirepass', REAL] });
  const dir = mkdtempSync(join(tmpdir(), 'countd-secrets-'));
  beforeAll(ensureBuilt, 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const url = (password: string) =>
    `redis://default:${encodeURIComponent(password)}@${redis.server(0).host}:${redis.server(0).port}`;
  const baseEnv = () => ({ PATH: process.env.PATH ?? '', COUNTD_METRICS_PORT: '0' });
  const expectNoLeak = (run: CountdRun, secrets: readonly string[], extra = '') => {
    const all = `${run.output}${extra}`;
    expect(leaks(all, secrets), all).toEqual([]);
  };

  it('a worker whose queue password is wrong', async () => {
    const run = await runCountd(['worker'], {
      env: { ...baseEnv(), COUNTD_QUEUE_URL: url(WRONG), COUNTD_NODES: `a=${url(REAL)}` },
    });
    expect(run.stderr.toString()).toContain('WRONGPASS');
    expectNoLeak(run, [WRONG, REAL]);
    expect(run.code).toBe(1);
  });

  it('a worker whose node password is wrong, flushing', async () => {
    const env = {
      ...baseEnv(),
      COUNTD_QUEUE_URL: url(REAL),
      COUNTD_NODES: `a=${url(WRONG)}`,
      COUNTD_QUEUE_NAME: 'secrets-node-flush',
      COUNTD_FLUSH_INTERVAL_MS: '100',
      COUNTD_SHUTDOWN_TIMEOUT_MS: '1000',
      COUNTD_LOG_LEVEL: 'debug',
    };
    const incr = await runCountd(['incr', 'page:home'], { env });
    expect(incr.code, incr.output).toBe(0);
    const run = await runCountd(['worker'], { env, stopAfterMs: 4000 });
    expect(run.stderr.toString()).toContain('flush failed');
    expectNoLeak(run, [WRONG, REAL], incr.output);
  });

  it('a worker given the wrong password as a flag', async () => {
    const run = await runCountd(
      ['worker', '--queue-url', url(WRONG), '--nodes', `a=${url(REAL)}`],
      {
        env: baseEnv(),
      },
    );
    expect(run.stderr.toString()).toContain('WRONGPASS');
    expectNoLeak(run, [WRONG, REAL]);
  });

  it('get and incr with the wrong password, also with --verbose', async () => {
    const env = { ...baseEnv(), COUNTD_QUEUE_URL: url(WRONG), COUNTD_NODES: `a=${url(WRONG)}` };
    for (const args of [
      ['get', 'page:home'],
      ['incr', 'page:home'],
      ['get', '--verbose', 'x'],
    ]) {
      const run = await runCountd(args, { env });
      expectNoLeak(run, [WRONG]);
      expect(run.code, `${args.join(' ')}: ${run.output}`).toBe(1);
    }
  });

  it('up with the wrong password: its output and its workers’ logs', async () => {
    const dataDir = join(dir, 'up');
    mkdirSync(dataDir);
    const run = await runCountd(['up', '--data-dir', dataDir], {
      env: { ...baseEnv(), COUNTD_QUEUE_URL: url(WRONG), COUNTD_NODES: `a=${url(REAL)}` },
    });
    const logs = readdirSync(dataDir)
      .filter((f) => f.endsWith('.log'))
      .map((f) => readFileSync(join(dataDir, f), 'utf8'))
      .join('');
    expect(logs).toContain('WRONGPASS');
    expectNoLeak(run, [WRONG, REAL], logs);
    expect(run.code).toBe(1);
  });

  // Parse errors: the password is not even valid, so only its parts can be grepped for.
  const BAD = [
    ['a comma', 'Zq9,Xw7', "(it holds ',')"],
    ['a stray %', 'Zq9%zzXw7', "'%'"],
    ['a slash', 'Zq9/Xw7', "(it holds '/')"],
    ['a hash', 'Zq9#Xw7', "(it holds '#')"],
    ['a question mark', 'Zq9?Xw7', "(it holds '?')"],
  ] as const;
  for (const [what, password, reason] of BAD) {
    it(`a node URL whose password holds ${what} unencoded: exit 2, no part of it shown`, async () => {
      const run = await runCountd(['worker'], {
        env: {
          ...baseEnv(),
          COUNTD_QUEUE_URL: url(REAL),
          COUNTD_NODES: `a=${url(REAL)},b=redis://u:${password}@127.0.0.1:7001`,
        },
      });
      expectNoLeak(run, [REAL, 'Zq9', 'Xw7']);
      expect(run.code, run.output).toBe(2);
      expect(run.output).toMatch(/^COUNTD_NODES entry 2 .*percent-encoded/);
      expect(run.output).toContain(reason);
      expect(run.output).toContain('redis://u:***@127.0.0.1:7001');
    });
  }

  it('a queue URL whose password holds a stray %: exit 2, not a crash', async () => {
    const run = await runCountd(['get', 'x'], {
      env: {
        ...baseEnv(),
        COUNTD_QUEUE_URL: `redis://u:Zq9%Xw7@127.0.0.1:7000`,
        COUNTD_NODES: `a=${url(REAL)}`,
      },
    });
    expectNoLeak(run, [REAL, 'Zq9', 'Xw7']);
    expect(run.code, run.output).toBe(2);
    expect(run.output).toMatch(/^COUNTD_QUEUE_URL: .*percent-encoded/);
  });
});
