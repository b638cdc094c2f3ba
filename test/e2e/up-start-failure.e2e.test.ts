import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useRedisServers } from '../support/redis-harness.js';
import { waitForProcessesGone } from '../support/process-alive.js';
import { ensureBuilt } from './build-once.js';
import { COUNTD_CLI, processesWithEnv, runCountd } from './support/countd-run.js';

const MARKER = 'UP_FAILURE_TEST_MARKER';
const PASSWORD = 'up-test-password';

// Issue 10, point 9: `countd up` with configured URLs and a data dir it cannot use died of an
// unhandled 'error' event (exit 1, a stack trace) and left its worker children running.
describe('countd up that cannot start', () => {
  const redis = useRedisServers({ count: 2, extraArgs: ['--requirepass', PASSWORD] });
  const dir = mkdtempSync(join(tmpdir(), 'countd-up-fail-'));
  const leftovers: number[] = [];
  beforeAll(ensureBuilt, 180_000);
  afterAll(() => {
    for (const pid of leftovers) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 2 with a one-line message and leaves no process running', async () => {
    // A data dir under a regular file: it does not exist and cannot be created.
    writeFileSync(join(dir, 'a-file'), '');
    const dataDir = join(dir, 'a-file', 'data');
    const marker = randomUUID();
    const run = await runCountd(['up', '--data-dir', dataDir], {
      env: upEnv(marker),
    });
    const stillRunning = await waitForProcessesGone(processesWithEnv(MARKER, marker), 3000);
    leftovers.push(...stillRunning);
    const stderr = run.stderr.toString();
    const lines = stderr.split('\n').filter((line) => line !== '');

    expect({ code: run.code, stillRunning }, stderr).toEqual({ code: 2, stillRunning: [] });
    expect(lines, stderr).toHaveLength(1);
    expect(lines[0]).toContain(dataDir);
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it('stops the workers it started when one of them fails to start', async () => {
    const marker = randomUUID();
    const env = upEnv(marker, 'wrong-password');
    const dataDir = join(dir, 'wrong-password');
    mkdirSync(dataDir);
    const run = await runCountd(['up', '--data-dir', dataDir], {
      env,
      timeoutMs: 20_000,
    });
    const stillRunning = await waitForProcessesGone(processesWithEnv(MARKER, marker), 3000);
    leftovers.push(...stillRunning);
    const stderr = run.stderr.toString();

    expect({ code: run.code, stillRunning }, stderr).toEqual({ code: 1, stillRunning: [] });
    expect(stderr).toMatch(/^countd: worker 0 exited with code 1 before it started/m);
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it('leaves no worker behind when up is SIGKILLed while its worker loads', async () => {
    const marker = randomUUID();
    const dataDir = join(dir, 'killed');
    mkdirSync(dataDir);
    const up = spawn(process.execPath, [COUNTD_CLI, 'up', '--data-dir', dataDir], {
      env: upEnv(marker),
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => up.once('exit', resolve));
    // The moment its worker exists, before the worker has loaded countd: the race where the
    // worker's parent-death check was not yet listening.
    let workers: number[] = [];
    const deadline = Date.now() + 10_000;
    while (workers.length === 0 && Date.now() < deadline) {
      workers = processesWithEnv(MARKER, marker).filter((pid) => pid !== up.pid);
      if (workers.length === 0) await sleep(5);
    }
    up.kill('SIGKILL');
    await exited;
    const stillRunning = await waitForProcessesGone(workers, 10_000);
    leftovers.push(...stillRunning);

    expect(workers).toHaveLength(1);
    expect(stillRunning).toEqual([]);
  });

  function upEnv(marker: string, password = PASSWORD): Record<string, string> {
    const url = (index: number) => redis.server(index).url.replace('//', `//:${password}@`);
    return {
      PATH: process.env.PATH ?? '',
      COUNTD_QUEUE_URL: url(0),
      COUNTD_NODES: `a=${url(1)}`,
      COUNTD_QUEUE_NAME: `up-fail-${marker.slice(0, 8)}`,
      COUNTD_METRICS_PORT: '0',
      [MARKER]: marker,
    };
  }
});
