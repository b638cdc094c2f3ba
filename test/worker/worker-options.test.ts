import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/index.js';
import { parseConfig } from '../../src/config/index.js';
import { HashRing } from '../../src/ring/index.js';
import { DEPLOYMENT_ENV } from '../config/deployment-env.js';
import {
  WORKER_DEFAULTS,
  resolveWorkerOptions,
  workerOptionsFromConfig,
} from '../../src/worker/worker-options.js';

const required = {
  queue: { host: '127.0.0.1', port: 1 },
  nodes: [{ id: 'a', connection: { host: '127.0.0.1', port: 2 } }],
  ring: { locate: () => 'a' },
};

describe('resolveWorkerOptions', () => {
  it('merges the defaults, ignores undefined values and freezes the result', () => {
    const options = resolveWorkerOptions({ ...required, flushIntervalMs: undefined, buckets: 8 });
    expect(options).toMatchObject({ ...WORKER_DEFAULTS, buckets: 8 });
    expect(Object.isFrozen(options)).toBe(true);
  });

  it.each([
    ['flushIntervalMs', 0],
    ['buckets', -1],
    ['concurrency', 1.5],
    ['commandTimeoutMs', Number.NaN],
    ['maxScriptCounters', '10'],
  ])('rejects %s = %j, naming the option', (key, value) => {
    const run = () => resolveWorkerOptions({ ...required, [key]: value } as never);
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(`${key}: must be a positive integer, got ${String(value)}`);
  });

  it('needs a node, and retryMaxMs >= retryMinMs', () => {
    expect(() => resolveWorkerOptions({ ...required, nodes: [] })).toThrow(
      'nodes: at least one storage node is needed',
    );
    expect(() => resolveWorkerOptions({ ...required, retryMinMs: 100, retryMaxMs: 50 })).toThrow(
      'retryMaxMs: must be >= retryMinMs',
    );
  });
});

describe('resolveWorkerOptions: prefix and queue name', () => {
  it.each([
    ['prefix', 'a*', /prefix: "a\*" must be 1-64 characters/],
    ['prefix', '', /prefix: "" must be 1-64/],
    ['queueName', 'a:b', /queueName: "a:b" must be 1-64 characters of \[A-Za-z0-9_.\{\}-\]/],
  ])('rejects %s = %j, naming the option', (key, value, message) => {
    expect(() => resolveWorkerOptions({ ...required, [key]: value })).toThrow(message);
  });

  it('takes a namespaced prefix', () => {
    expect(resolveWorkerOptions({ ...required, prefix: 'app:countd' }).prefix).toBe('app:countd');
  });
});

describe('workerOptionsFromConfig', () => {
  const env = {
    ...DEPLOYMENT_ENV,
    COUNTD_FLUSH_INTERVAL_MS: '250',
    COUNTD_PUBLISH: 'false',
    COUNTD_LOCK_DURATION_MS: '8000',
  };

  it('takes the queue, nodes, ring, layout and tuning from the config', () => {
    const options = workerOptionsFromConfig(parseConfig(env));
    expect(options.queue).toMatchObject({
      host: 'queue.example',
      port: 6380,
      db: 2,
      password: 's3cret',
    });
    expect(options.nodes.map((n) => [n.id, n.connection.host, n.connection.port])).toEqual([
      ['a', 'n1.example', 7001],
      ['b', 'n2.example', 7002],
    ]);
    expect(options.nodes[1]!.connection.tls).toEqual({ servername: 'n2.example' });
    const ring = new HashRing(
      [
        { id: 'a', weight: 1 },
        { id: 'b', weight: 2 },
      ],
      { algorithm: 'points', pointsPerWeight: 40 },
    );
    for (const name of ['x', 'page:home', 'users:online']) {
      expect(options.ring.locate(name)).toBe(ring.locate(name));
    }
    expect(options.fleet?.fingerprint).toMatch(/\w/);
    expect(options).toMatchObject({
      prefix: 'views',
      buckets: 64,
      flushIntervalMs: 250,
      publishUpdates: false,
      lockDurationMs: 8000,
      // unset, the skew margin is at most a quarter of the lock, as parseConfig decides
      maxClockSkewMs: 1000,
      queueName: WORKER_DEFAULTS.queueName,
      commandTimeoutMs: WORKER_DEFAULTS.commandTimeoutMs,
    });
    expect(Object.isFrozen(options)).toBe(true);
  });

  it('lets the caller override tuning, not the topology', () => {
    const options = workerOptionsFromConfig(parseConfig(env), {
      flushIntervalMs: 50,
      commandTimeoutMs: 2000,
      retryMinMs: undefined,
    });
    expect(options).toMatchObject({ flushIntervalMs: 50, commandTimeoutMs: 2000, prefix: 'views' });
    expect(options.retryMinMs).toBe(WORKER_DEFAULTS.retryMinMs);
    // @ts-expect-error the prefix belongs to the deployment's config
    workerOptionsFromConfig(parseConfig(env), { prefix: 'other' });
  });

  it('names the missing setting', () => {
    expect(() => workerOptionsFromConfig(parseConfig({ COUNTD_NODES: env.COUNTD_NODES }))).toThrow(
      /^COUNTD_QUEUE_URL: not set/,
    );
    expect(() => workerOptionsFromConfig(parseConfig({ COUNTD_QUEUE_URL: 'redis://q' }))).toThrow(
      /^COUNTD_NODES: not set/,
    );
  });
});

describe('library defaults and settings defaults', () => {
  it('a worker from a config that sets nothing but addresses has the library defaults', () => {
    const fromConfig = workerOptionsFromConfig(
      parseConfig({ COUNTD_QUEUE_URL: 'redis://q', COUNTD_NODES: 'a=redis://n' }),
    );
    const fromCode = resolveWorkerOptions(required);
    for (const key of Object.keys(WORKER_DEFAULTS) as Array<keyof typeof WORKER_DEFAULTS>) {
      expect(fromConfig[key], key).toBe(fromCode[key]);
    }
  });
});
