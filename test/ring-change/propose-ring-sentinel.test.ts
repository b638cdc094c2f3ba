import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/index.js';
import { proposeRing, ringRecord, type RingRecord } from '../../src/ring-change/index.js';
import { withoutCredentials } from '../../workers/cli/commands/ring-change-args.js';

const v1: RingRecord = ringRecord({
  version: 1,
  algorithm: 'ketama',
  buckets: 64,
  prefix: 'countd',
  nodes: [{ id: 'a', weight: 1, url: 'redis://10.0.0.1:6379' }],
});
const add = (url: string) => proposeRing(v1, { kind: 'add', node: { id: 'd', weight: 1, url } });
const refusal = (url: string): ConfigError => {
  try {
    add(url);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`${url} was accepted`);
};

describe('proposeRing, Sentinel URLs', () => {
  it('accepts one sentinel and several (`+`-separated), with a db, kept as given', () => {
    for (const url of [
      'redis+sentinel://s1:26379/main',
      'redis+sentinel://s1:26379+s2:26380/main',
      'redis+sentinel://10.0.0.5:26379+10.0.0.6:26379+[::1]:26381/node-d/2',
    ]) {
      const next = add(url);
      expect(next.nodes.find((n) => n.id === 'd')?.url).toBe(url);
    }
  });

  it('refuses credentials of the data servers or of the sentinels, never showing them', () => {
    for (const url of [
      'redis+sentinel://u:hunter2@s1:26379+s2:26380/main',
      'redis+sentinel://:hunter2@s1:26379/main',
      'redis+sentinel://s1:26379+s2:26380/main?sentinelPassword=hunter2',
      'redis+sentinel://s1:26379/main?sentinelUsername=admin',
    ]) {
      const error = refusal(url);
      expect(error.setting).toBe('url');
      expect(error.message).toMatch(/username or password/);
      expect(error.message).not.toContain('hunter2');
    }
  });

  it('refuses a malformed Sentinel URL with the parser’s reason', () => {
    expect(refusal('redis+sentinel://s1:26379+/main').message).toMatch(/sentinel "" is not/);
    expect(refusal('redis+sentinel://s1:26379').message).toMatch(/no master name/);
  });

  it('what `countd ring add` stores (credentials stripped) is accepted', () => {
    const given =
      'redis+sentinel://u:p%40ss@s1:26379+s2:26380/main?sentinelPassword=x&sentinelUsername=y';
    const stored = withoutCredentials(given);
    expect(stored).toBe('redis+sentinel://s1:26379+s2:26380/main');
    expect(add(stored).nodes.find((n) => n.id === 'd')?.url).toBe(stored);
  });
});
