import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SentinelStack } from '../../workers/local-stack/sentinel-stack.js';
import { ensureBuilt } from './build-once.js';
import { runCountd, type CountdRun } from './support/countd-run.js';
import { WorkerProcess } from './support/worker-process.js';

// A CLI command over redis+sentinel:// URLs used to print its result and then never exit: the
// sockets ioredis's failover detector opens to the sentinels outlived quit().
describe('CLI commands over redis+sentinel:// URLs exit once done', () => {
  let dir: string;
  let stack: SentinelStack;
  let worker: WorkerProcess | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    await ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'countd-sentinel-cli-'));
    stack = await SentinelStack.start({
      dir,
      groups: ['queue', 'a'],
      replicas: 1,
      sentinels: 2,
      downAfterMs: 1000,
      failoverTimeoutMs: 3000,
    });
    await stack.settled();
    const prefix = `e2e-cli-${process.pid}`;
    env = {
      PATH: process.env.PATH ?? '',
      COUNTD_QUEUE_URL: stack.url('queue'),
      COUNTD_QUEUE_NAME: prefix,
      COUNTD_NODES: `a=${stack.url('a')}`,
      COUNTD_PREFIX: prefix,
      COUNTD_PUBLISH: 'true',
    };
    worker = await WorkerProcess.start('w1', {
      ...env,
      COUNTD_METRICS_PORT: '0',
      COUNTD_FLUSH_INTERVAL_MS: '100',
    });
  }, 60_000);

  afterAll(async () => {
    await worker?.kill();
    await stack?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs a command; it must end by itself (not by the kill after 15 s) within `withinMs`. */
  async function finished(args: string[], withinMs: number, stopAfterMs?: number) {
    const started = performance.now();
    const run = await runCountd(args, {
      env,
      timeoutMs: 15_000,
      ...(stopAfterMs === undefined ? {} : { stopAfterMs }),
    });
    const ms = performance.now() - started;
    expect(run.signal, `${args[0]} was killed: it never exited\n${run.output}`).toBeNull();
    expect(run.code, run.output).toBe(0);
    expect(ms, `${args[0]} took ${ms.toFixed(0)} ms`).toBeLessThan(withinMs);
    return run;
  }

  it('countd incr and countd get exit 0 within seconds', async () => {
    const incr = await finished(['incr', 'sentinel:cli', '3'], 8000);
    expect(incr.stdout.toString()).toBe('sentinel:cli\t+3\tqueued\n');
    let get: CountdRun;
    const deadline = Date.now() + 20_000;
    do {
      get = await finished(['get', 'sentinel:cli'], 8000);
      if (get.stdout.toString() === 'sentinel:cli\t3\n') break;
      await sleep(200);
    } while (Date.now() < deadline);
    expect(get.stdout.toString()).toBe('sentinel:cli\t3\n');
  }, 60_000);

  it('countd watch exits 0 soon after SIGTERM (Ctrl-C)', async () => {
    // SIGTERM once it runs (before its handler exists, node would die of the signal).
    await finished(['watch', 'sentinel:*', '--lines'], 4000 + 6000, 4000);
  }, 30_000);

  it('countd load exits 0 once its increments are confirmed', async () => {
    const run = await finished(['load', '--total', '2000', '--counters', '10', '--quiet'], 15_000);
    expect(run.output).toMatch(/2000|2,000/);
  }, 30_000);
});
