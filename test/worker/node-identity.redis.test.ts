import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { describe, expect, it, onTestFinished } from 'vitest';
import { NodeIdentityError } from '../../src/errors/index.js';
import { WorkerMetrics } from '../../src/metrics/index.js';
import { CounterWorker } from '../../src/worker/index.js';
import { runCli } from '../workers/cli/commands/run-cli.js';
import { uniquePrefix, useRedisServers } from '../support/redis-harness.js';
import {
  NODE_IDS,
  counterValue,
  createStack,
  payload,
  useStacks,
  waitFor,
  type Stack,
} from './worker-fixture.js';

// Defect 5 of the exactly-once review: a storage node that lost its data, or a second server
// configured under the same node id, was written as if nothing happened.
describe('storage node identity', () => {
  // 0: queue, 1-3: nodes a, b, c, 4: a stray server.
  const redis = useRedisServers({ count: 5 });
  const suite = uniquePrefix('nodeid');
  const stack = useStacks(redis, suite);

  const newStack = () => stack({ prefix: `nodeid-${randomBytes(3).toString('hex')}` });

  it('a node restarted empty is refused: jobs held, identity errors, not ready; `countd node accept` lets it go on', async () => {
    const s = newStack();
    const [onB] = s.namesOn('b', 1, 'restart');
    const [onA] = s.namesOn('a', 1, 'restart');
    const { worker, metrics } = s.worker({ flushIntervalMs: 50, retryMaxMs: 100 });
    await worker.start();
    await s.add(
      payload([
        [onB!, 5],
        [onA!, 1],
      ]),
      'before-1',
      true,
    );
    await waitFor('before-1', async () => (await s.read(onB!)) === '5');

    // Node b crashes and comes back without its data (this harness keeps none on disk).
    const b = s.server('b');
    await b.kill();
    await b.restart();
    await s.add(
      payload([
        [onB!, 7],
        [onA!, 2],
      ]),
      'after-1',
      true,
    );
    await waitFor('identity errors on b', async () => {
      return (await counterValue(metrics.flushErrors, { node: 'b', reason: 'identity' })) > 0;
    });
    expect(await worker.ready()).toBe(false);
    const text = await metrics.registry.getSingleMetricAsString('countd_node_identity_ok');
    expect(text).toMatch(/countd_node_identity_ok\{node="b"\} 0/);
    expect(text).toMatch(/countd_node_identity_ok\{node="a"\} 1/);
    // Before the fix: b was written from zero (7) and after-1 completed.
    expect(await s.read(onB!)).toBe(null);
    expect(await s.queue.getJobState('after-1')).toBe('active');
    expect(worker.held).toBe(1);

    const fresh = s.worker();
    const refused = await fresh.worker.start().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(NodeIdentityError);
    expect(refused).toMatchObject({ node: 'b', problem: 'missing' });
    expect((refused as Error).message).toMatch(/lost its data.*countd node accept b/);

    const accepted = await runCli(['node', 'accept', 'b'], { env: cliEnv(s) });
    expect(accepted.stderr).toBe('');
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toMatch(/^node b accepted: identity /);
    await waitFor('after-1 applied once b is accepted', async () => (await s.read(onB!)) === '7');
    await waitFor('after-1 completed', async () => worker.held === 0);
    expect(await s.read(onA!)).toBe('3');
    expect(await worker.ready()).toBe(true);
    console.log(
      `[node identity] node b restarted empty: flush errors (identity) ${await counterValue(metrics.flushErrors, { node: 'b', reason: 'identity' })}, ` +
        `ready false, job held, new worker refused (${(refused as NodeIdentityError).problem}); after \`countd node accept b\`: applied, ready`,
    );
  });

  it('two workers whose node c points at two servers: the second is refused at start', async () => {
    const s = newStack();
    await s.worker().worker.start();
    const stray = redis.server(4);
    const metrics = new WorkerMetrics(new Registry());
    const misconfigured = new CounterWorker({
      queue: { host: redis.server(0).host, port: redis.server(0).port },
      queueName: s.queueName,
      nodes: NODE_IDS.map((id) => {
        const server = id === 'c' ? stray : s.server(id);
        return { id, connection: { host: server.host, port: server.port } };
      }),
      ring: s.ring,
      prefix: s.prefix,
      buckets: 64,
      metrics,
    });
    onTestFinished(async () => {
      await misconfigured.close(1000);
    });
    const refused = await misconfigured.start().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(NodeIdentityError);
    expect(refused).toMatchObject({ node: 'c' });
    expect((refused as Error).message).toMatch(/storage node c refused/);
  });

  it('`countd node accept` refuses a server that holds another fleet’s identity unless --force', async () => {
    const s = newStack();
    await s.worker().worker.start();
    const other = createStack(redis, suite, { prefix: s.prefix });
    try {
      const run = await runCli(['node', 'accept', 'a'], { env: cliEnv(other) });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/another fleet.*--force/);
      const forced = await runCli(['node', 'accept', 'a', '--force'], { env: cliEnv(other) });
      expect(forced.code).toBe(0);
    } finally {
      await other.close();
    }
  });
});

function cliEnv(s: Stack): Record<string, string> {
  const server = (id: (typeof NODE_IDS)[number]) => s.server(id);
  return {
    COUNTD_QUEUE_URL: `redis://${s.server('a').host}:${queuePort(s)}`,
    COUNTD_QUEUE_NAME: s.queueName,
    COUNTD_PREFIX: s.prefix,
    COUNTD_BUCKETS: '64',
    COUNTD_NODES: NODE_IDS.map((id) => `${id}=redis://${server(id).host}:${server(id).port}`).join(
      ',',
    ),
  };
}

function queuePort(s: Stack): number {
  const options = s.queue.opts.connection as { port?: number };
  if (options.port === undefined) throw new Error('queue connection without a port');
  return options.port;
}
