import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/index.js';
import { CounterReader, READER_DEFAULTS } from '../../src/reader/index.js';
import { HashRing } from '../../src/ring/index.js';

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
