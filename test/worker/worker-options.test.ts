import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/index.js';
import { WORKER_DEFAULTS, resolveWorkerOptions } from '../../src/worker/index.js';

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
