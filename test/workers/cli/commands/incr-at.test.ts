import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

// Nothing listens on port 1: every refusal below comes before the queue is reached.
const env = { COUNTD_NODES: 'a=redis://127.0.0.1:1', COUNTD_QUEUE_URL: 'redis://127.0.0.1:1' };

describe('countd incr --at, bad input', () => {
  it('refuses a time that is not one, exit 2', async () => {
    const run = await runCli(['incr', 'x', '--at', 'yesterday'], { env });
    expect(run.stderr).toMatch(/^countd incr: --at "yesterday" is not a time/);
    expect(run.stdout).toBe('');
    expect(run.code).toBe(2);
  });

  it('refuses a time without a zone, exit 2', async () => {
    const run = await runCli(['incr', 'x', '--at', '2025-01-10T12:00'], { env });
    expect(run.stderr).toMatch(/^countd incr: --at "2025-01-10T12:00" has no zone/);
    expect(run.code).toBe(2);
  });

  it('refuses a time more than 5 minutes ahead, exit 2', async () => {
    const ahead = String(Date.now() + 10 * 60_000);
    const run = await runCli(['incr', 'x', '3', '--at', ahead], { env });
    expect(run.stderr).toMatch(/^countd incr: invalid event time for "x": .* ahead of this clock/);
    expect(run.code).toBe(2);
  });

  it('refuses a malformed COUNTD_ROLLUPS, exit 2 naming it', async () => {
    const run = await runCli(['incr', 'x'], { env: { ...env, COUNTD_ROLLUPS: 'week:30d' } });
    expect(run.stderr).toMatch(/COUNTD_ROLLUPS: unknown granularity "week"/);
    expect(run.code).toBe(2);
    const flag = await runCli(['incr', 'x', '--rollups', 'minute:48h,minute:1d'], { env });
    expect(flag.stderr).toMatch(/--rollups: granularity "minute" is given twice/);
    expect(flag.code).toBe(2);
  });
});
