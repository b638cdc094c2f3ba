import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ensureBuilt } from './build-once.js';
import { isProcessAlive } from '../support/process-alive.js';

const run = promisify(execFile);
const BIN = join(ROOT, 'bin/countd.js');

/** The environment of a new user: nothing of countd configured. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('COUNTD_')));
}

/** Pids of redis-server processes whose working directory lies under `dir`. */
function redisServersUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8');
      if (!comm.includes('redis-server')) continue;
      if (readlinkSync(`/proc/${entry}/cwd`).startsWith(dir)) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

describe('a new user runs countd up, then incr and get, then Ctrl-C', () => {
  const dir = mkdtempSync(join(tmpdir(), 'countd-up-e2e-'));
  beforeAll(ensureBuilt, 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('counts, and leaves no process behind', async () => {
    const up = spawn(process.execPath, [BIN, 'up', '--flush-interval-ms', '200'], {
      cwd: dir,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    up.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) =>
      up.once('exit', (code) => resolve(code)),
    );
    try {
      const deadline = Date.now() + 30_000;
      while (!stderr.includes('ready:') && Date.now() < deadline) await sleep(100);
      expect(stderr, stderr).toContain('ready:');
      const workerPids = (/pids ([\d, ]+)\)/.exec(stderr)?.[1] ?? '').split(', ').map(Number);
      const redisPids = redisServersUnder(dir);
      expect(redisPids).toHaveLength(4); // 1 queue + 3 storage nodes

      const countd = (...args: string[]) =>
        run(process.execPath, [BIN, ...args], { cwd: dir, env: cleanEnv() });
      for (let i = 0; i < 3; i++) await countd('incr', 'page:home');
      await countd('incr', 'users:online', '5');
      await countd('incr', 'users:online', '-1');

      let values = '';
      for (let i = 0; i < 50; i++) {
        values = (
          await countd('get', '--json', 'page:home', 'users:online', 'never:written')
        ).stdout.trim();
        if (values === '{"page:home":3,"users:online":4,"never:written":0}') break;
        await sleep(100);
      }
      expect(values).toBe('{"page:home":3,"users:online":4,"never:written":0}');
      const text = (await countd('get', 'page:home')).stdout;
      expect(text).toBe('page:home\t3\n');
      // The web page is served beside the stack (on 8088, or a free port if that is taken).
      const ui = /^ui {6}(http:\/\/127\.0\.0\.1:\d+)$/m.exec(stderr)?.[1];
      expect(ui, stderr).toBeDefined();
      const found = await (await fetch(`${ui}/api/counters?glob=page:*`)).json();
      expect(found).toEqual({ glob: 'page:*', counters: [['page:home', '3']], more: false });

      up.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(stderr).toContain('stopped');
      for (const pid of [...workerPids, ...redisPids])
        expect(isProcessAlive(pid), `pid ${pid} still running`).toBe(false);
      expect(redisServersUnder(dir)).toEqual([]);
    } finally {
      if (up.exitCode === null) up.kill('SIGKILL');
    }
  }, 90_000);
});

describe('countd demo', () => {
  const dir = mkdtempSync(join(tmpdir(), 'countd-demo-e2e-'));
  beforeAll(ensureBuilt, 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 with every counter verified', async () => {
    const { stdout, stderr } = await run(
      process.execPath,
      [BIN, 'demo', '--seconds', '3', '--counters', '2000', '--metrics-port', '0'],
      { cwd: dir, env: cleanEnv(), timeout: 120_000 },
    );
    console.log(`${stderr}${stdout}`);
    expect(stdout).toContain('OK: every counter equals what was sent');
    expect(stdout).toMatch(/counters checked\s+2000/);
    expect(stdout).toMatch(/counters exact\s+2000/);
    expect(redisServersUnder(dir)).toEqual([]);
  }, 150_000);
});
