import { describe, expect, it } from 'vitest';
import { CountdKeys } from '../../../../src/keys/index.js';
import { readRingState, ringRecord } from '../../../../src/ring-change/index.js';
import { uniquePrefix, useRedisServers } from '../../../support/redis-harness.js';
import { runCli } from './run-cli.js';

/** The change commands' failures against a real queue Redis: each is exit 1, no secret shown. */
describe('countd ring add|remove: failures', () => {
  const redis = useRedisServers({ count: 1 });
  const keys = new CountdKeys('countd');
  const queueName = () => uniquePrefix('change').replace(/:/g, '-');
  // Nothing listens on port 1: a node there is unreachable (connection refused at once).
  const v1 = ringRecord({
    version: 1,
    algorithm: 'ketama',
    buckets: 64,
    prefix: 'countd',
    nodes: [
      { id: 'a', weight: 1, url: 'redis://127.0.0.1:1' },
      { id: 'b', weight: 1, url: 'redis://127.0.0.1:1/1' },
    ],
  });
  const env = (queue: string) => ({
    COUNTD_QUEUE_URL: redis.server(0).url,
    COUNTD_QUEUE_NAME: queue,
  });

  it('exits 1 when no worker has registered a ring yet', async () => {
    const result = await runCli(['ring', 'remove', 'a'], { env: env(queueName()) });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no ring is registered for queue .*: start a worker first/);
  });

  it('exits 1 when a node is unreachable, never showing the added URL password', async () => {
    const queue = queueName();
    await redis.server(0).client().set(keys.fleetRing(queue), JSON.stringify(v1));
    const add = ['ring', 'add', 'd=redis://ops:hunter2@127.0.0.1:1/2'];
    const dry = await runCli([...add, '--dry-run'], { env: env(queue) });
    expect(dry.code, dry.stderr).toBe(1);
    expect(dry.stdout).toBe('');
    const wait = await runCli([...add, '--wait'], { env: env(queue) });
    expect(wait.code, wait.stderr).toBe(1);
    for (const run of [dry, wait]) {
      expect(run.stderr).toMatch(/cannot reach node [abd]: connect ECONNREFUSED 127\.0\.0\.1:1/);
      expect(`${run.stdout}${run.stderr}`).not.toContain('hunter2');
    }
    // Begun, then stopped at fencing: the change stays in progress, its URL stored bare.
    const state = await readRingState(redis.server(0).client(), keys, queue);
    expect(state.change).toMatchObject({ kind: 'add', phase: 'fencing' });
    expect(state.change?.to.nodes.find((n) => n.id === 'd')?.url).toBe('redis://127.0.0.1:1/2');
    const other = await runCli(['ring', 'remove', 'b'], { env: env(queue) });
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(
      /another change is in progress \(add d \(weight 1\), version 1 → 2/,
    );
  }, 30_000);

  it('exits 2 on a change the ring refuses', async () => {
    const queue = queueName();
    await redis.server(0).client().set(keys.fleetRing(queue), JSON.stringify(v1));
    const cases: [string[], RegExp][] = [
      [['ring', 'add', 'a=redis://h:1'], /"a" is already a node of ring version 1/],
      [['ring', 'reweight', 'a', '1'], /already has weight 1/],
      [['ring', 'layout', '--buckets', '64'], /already has 64 buckets/],
    ];
    for (const [argv, message] of cases) {
      const result = await runCli(argv, { env: env(queue) });
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
    }
  });
});
