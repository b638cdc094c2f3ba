import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/index.js';
import { CounterReader, READER_DEFAULTS } from '../../src/reader/index.js';
import { HashRing } from '../../src/ring/index.js';
import { parseConfig } from '../../src/config/index.js';
import { StorageLayout } from '../../src/storage/index.js';
import { DEPLOYMENT_ENV } from '../config/deployment-env.js';
import { workerOptionsFromConfig } from '../../src/worker/worker-options.js';

const ring = new HashRing([
  { id: 'a', weight: 1 },
  { id: 'b', weight: 1 },
]);
const nodes = [
  { id: 'a', connection: { port: 1 } },
  { id: 'b', connection: { port: 2 } },
];

function settingOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.setting;
    throw err;
  }
  return undefined;
}

describe('CounterReader options', () => {
  it('merges the defaults and freezes the result, without connecting', async () => {
    const reader = new CounterReader({ nodes, ring });
    expect(reader.options).toMatchObject(READER_DEFAULTS);
    expect(Object.isFrozen(reader.options)).toBe(true);
    expect(Object.isFrozen(reader.options.nodes)).toBe(true);
    expect(reader.locate('x')).toEqual(reader.layout.locate('x'));
    await reader.close();
  });

  it('throws a ConfigError naming the bad option', () => {
    expect(settingOf(() => new CounterReader({ nodes: [], ring }))).toBe('nodes');
    expect(settingOf(() => new CounterReader({ nodes: [nodes[0]!, nodes[0]!], ring }))).toBe(
      'nodes',
    );
    expect(settingOf(() => new CounterReader({ nodes: [nodes[0]!], ring }))).toBe('nodes');
    expect(settingOf(() => new CounterReader({ nodes, ring: {} as HashRing }))).toBe('ring');
    expect(settingOf(() => new CounterReader({ nodes, ring, prefix: 'a*' }))).toBe('prefix');
    expect(settingOf(() => new CounterReader({ nodes, ring, buckets: 0 }))).toBe('buckets');
    expect(settingOf(() => new CounterReader({ nodes, ring, values: 'string' as 'number' }))).toBe(
      'values',
    );
    expect(settingOf(() => new CounterReader({ nodes, ring, commandTimeoutMs: 1.5 }))).toBe(
      'commandTimeoutMs',
    );
  });

  it('checks globs before any I/O', async () => {
    const reader = new CounterReader({ nodes, ring });
    await expect(reader.list('')).rejects.toBeInstanceOf(ConfigError);
    expect(() => reader.watch('x'.repeat(2000), () => undefined)).toThrow(ConfigError);
    await reader.close();
  });
});

describe('CounterReader.fromConfig', () => {
  it('reads with the ring, prefix, buckets and node connections the workers use', async () => {
    const config = parseConfig(DEPLOYMENT_ENV);
    const reader = CounterReader.fromConfig(config, { values: 'bigint', commandTimeoutMs: 900 });
    const worker = workerOptionsFromConfig(config);
    expect(reader.options).toMatchObject({
      prefix: 'views',
      buckets: 64,
      values: 'bigint',
      commandTimeoutMs: 900,
      connectTimeoutMs: READER_DEFAULTS.connectTimeoutMs,
    });
    expect(reader.options.nodes).toEqual(worker.nodes);
    const layout = new StorageLayout(worker.ring, worker.prefix, worker.buckets);
    for (const name of ['x', 'page:home', 'users:online', 'é']) {
      expect(reader.locate(name)).toEqual(layout.locate(name));
    }
    await reader.close();
  });

  it('links the reader to the fleet when the config has a queue URL, and only then', async () => {
    const { COUNTD_QUEUE_URL: queueUrl, ...withoutQueue } = DEPLOYMENT_ENV;
    expect(queueUrl).toBeDefined();
    const linked = CounterReader.fromConfig(parseConfig(DEPLOYMENT_ENV));
    expect(linked.options.fleet?.queueName).toBe(parseConfig(DEPLOYMENT_ENV).queueName);
    expect(linked.options.fleet?.queue).toMatchObject({ host: expect.any(String) });
    const alone = CounterReader.fromConfig(parseConfig(withoutQueue));
    expect(alone.options.fleet).toBeUndefined();
    await Promise.all([linked.close(), alone.close()]);
  });

  it('refuses a fleet link without a queue name', () => {
    expect(
      settingOf(() => new CounterReader({ nodes, ring, fleet: { queue: {}, queueName: '' } })),
    ).toBe('fleet.queueName');
  });

  it('names the missing node list', () => {
    expect(() => CounterReader.fromConfig(parseConfig({}))).toThrow(/^COUNTD_NODES: not set/);
  });
});

describe('the reader validates the prefix as the settings do', () => {
  it.each(['a*', 'a b', '', 'x'.repeat(65), 'a[b]'])('refuses %j', (prefix) => {
    expect(() => new CounterReader({ nodes, ring, prefix })).toThrow(
      /^prefix: .* must be 1-64 characters of \[A-Za-z0-9_.:\{\}-\]/,
    );
  });

  it.each(['countd', 'app:countd', 'c{1}', 'test:reader:0a1b2c3d'])('takes %j', (prefix) => {
    expect(new CounterReader({ nodes, ring, prefix }).options.prefix).toBe(prefix);
  });
});
