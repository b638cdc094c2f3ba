import { describe, expect, it } from 'vitest';
import { CountdKeys } from '../../../../src/keys/index.js';
import { ringRecord } from '../../../../src/ring-change/index.js';
import { uniquePrefix, useRedisServers } from '../../../support/redis-harness.js';
import { runCli } from './run-cli.js';

/** `countd ring status` against a queue Redis holding records written as workers and changes do. */
describe('countd ring status', () => {
  const redis = useRedisServers({ count: 1 });
  const keys = new CountdKeys('countd');

  const v1 = ringRecord({
    version: 1,
    algorithm: 'ketama',
    buckets: 64,
    prefix: 'countd',
    nodes: [
      { id: 'a', weight: 1, url: 'redis://127.0.0.1:7001' },
      { id: 'b', weight: 2, url: 'redis://127.0.0.1:7002' },
    ],
  });
  const v2 = ringRecord({ ...v1, version: 2, nodes: [v1.nodes[0]!] });

  /** A queue name of its own per test (queue names take no ':'). */
  const queueName = () => uniquePrefix('status').replace(/:/g, '-');

  function env(queue: string): Record<string, string> {
    return { COUNTD_QUEUE_URL: redis.server(0).url, COUNTD_QUEUE_NAME: queue };
  }

  it('exits 1 when the queue Redis is unreachable', async () => {
    const result = await runCli(['ring', 'status'], {
      env: { COUNTD_QUEUE_URL: 'redis://127.0.0.1:1', COUNTD_QUEUE_NAME: 'q' },
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
  });

  it('shows the ring, no change, and the live workers per version', async () => {
    const queue = queueName();
    const client = redis.server(0).client();
    const now = Date.now();
    await client.set(keys.fleetRing(queue), JSON.stringify(v1));
    await client.set(keys.ringEpoch(queue), '3');
    await client.hset(keys.fleetWorkers(queue), {
      w1: JSON.stringify({ version: 1, pid: 11, host: 'h', at: now }),
      w2: JSON.stringify({ version: 1, pid: 12, host: 'h', at: now - 60_000 }),
      junk: 'not json',
    });
    const text = await runCli(['ring', 'status'], { env: env(queue) });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^ring version 1: ketama, 64 buckets, prefix countd/);
    expect(text.stdout).toMatch(/^b\s+2\s+redis:\/\/127\.0\.0\.1:7002$/m);
    expect(text.stdout).toContain('change: none in progress');
    expect(text.stdout).toContain('workers: 1 on version 1');

    const json = await runCli(['ring', 'status', '--json'], { env: env(queue) });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      queue,
      epoch: 3,
      ring: { version: 1, buckets: 64, nodes: [{ id: 'a' }, { id: 'b', weight: 2 }] },
      change: null,
      workers: [{ version: 1, count: 1 }],
    });
  });

  it('shows a change in progress, with its rate measured over two reads', async () => {
    const queue = queueName();
    const client = redis.server(0).client();
    const started = Date.now() - 30_000;
    const change = (moved: number) =>
      JSON.stringify({
        kind: 'remove',
        from: v1,
        to: v2,
        phase: 'moving',
        startedAt: started,
        updatedAt: Date.now(),
        moved,
        toMove: 10_000,
      });
    await client.set(keys.fleetRing(queue), JSON.stringify(v2));
    await client.set(keys.ringChange(queue), change(1000));
    // Another process moves counters while status waits between its two reads.
    const mover = setTimeout(() => void client.set(keys.ringChange(queue), change(3000)), 300);
    const result = await runCli(['ring', 'status', '--json'], { env: env(queue) });
    clearTimeout(mover);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as {
      change: { ratePerSecond: number; etaSeconds: number; moved: number; description: string };
    };
    expect(report.change).toMatchObject({
      kind: 'remove',
      description: 'remove b',
      from: 1,
      to: 2,
      phase: 'moving',
      moved: 3000,
      toMove: 10_000,
      startedAt: new Date(started).toISOString(),
    });
    // 2000 counters over the ~1 s between the reads.
    expect(report.change.ratePerSecond).toBeGreaterThan(1500);
    expect(report.change.ratePerSecond).toBeLessThan(2100);
    expect(report.change.etaSeconds).toBeCloseTo(7000 / report.change.ratePerSecond, 6);

    const text = await runCli(['ring', 'status'], { env: env(queue) });
    expect(text.stdout).toContain('change: remove b (version 1 → 2), phase moving');
    expect(text.stdout).toMatch(/moved 3,000\/10,000 \(30\.0%\), 0\/s/);
  });

  it('says so when no worker registered a ring yet', async () => {
    const result = await runCli(['ring', 'status'], { env: env(queueName()) });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/no ring registered yet/);
  });
});
