import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/index.js';
import {
  parseRingRecord,
  proposeRing,
  ringRecord,
  type RingRecord,
} from '../../src/ring-change/index.js';
import { parseRollups } from '../../src/rollups/index.js';

const v1: RingRecord = ringRecord({
  version: 1,
  algorithm: 'ketama',
  buckets: 64,
  prefix: 'countd',
  nodes: [
    { id: 'a', weight: 1, url: 'redis://10.0.0.1:6379' },
    { id: 'b', weight: 2, url: 'redis://10.0.0.2:6379' },
  ],
});

function refusal(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('proposeRing', () => {
  it('adds a node: next version, nodes sorted by id, new fingerprint, the URL kept', () => {
    const next = proposeRing(v1, {
      kind: 'add',
      node: { id: 'c', weight: 3, url: 'redis://10.0.0.3:6379' },
    });
    expect(next.version).toBe(2);
    expect(next.nodes).toEqual([...v1.nodes, { id: 'c', weight: 3, url: 'redis://10.0.0.3:6379' }]);
    expect(next.fingerprint).not.toBe(v1.fingerprint);
    expect(next).toMatchObject({ algorithm: 'ketama', buckets: 64, prefix: 'countd' });
  });

  it('removes, reweights and changes the layout', () => {
    expect(proposeRing(v1, { kind: 'remove', id: 'a' }).nodes.map((n) => n.id)).toEqual(['b']);
    const reweighted = proposeRing(v1, { kind: 'reweight', id: 'b', weight: 5 });
    expect(reweighted.nodes).toEqual([v1.nodes[0], { ...v1.nodes[1], weight: 5 }]);
    const layout = proposeRing(v1, { kind: 'layout', buckets: 128 });
    expect(layout).toMatchObject({ version: 2, buckets: 128, nodes: v1.nodes });
    expect(layout.fingerprint).not.toBe(v1.fingerprint);
    const rollups = parseRollups('minute:48h,day:400d', 'rollups');
    const withRollups = proposeRing(v1, { kind: 'layout', rollups });
    expect(withRollups).toMatchObject({ version: 2, buckets: v1.buckets, rollups });
    expect(parseRingRecord(JSON.stringify(withRollups), 'k').rollups).toEqual(rollups);
    expect(refusal(() => proposeRing(withRollups, { kind: 'layout', rollups })).setting).toBe(
      'rollups',
    );
    const dropped = proposeRing(withRollups, { kind: 'layout', rollups: [] });
    expect(dropped.rollups).toBeUndefined();
    expect(dropped.fingerprint).toBe(ringRecord({ ...v1, version: 3 }).fingerprint);
  });

  it('names what is wrong', () => {
    const add = (id: string, weight = 1, url = 'redis://h:1') =>
      proposeRing(v1, { kind: 'add', node: { id, weight, url } });
    expect(refusal(() => add('a')).message).toMatch(/"a" is already a node of ring version 1/);
    expect(refusal(() => add('bad id')).message).toMatch(/must match/);
    expect(refusal(() => add('c', 0)).setting).toBe('weight');
    expect(refusal(() => add('c', 1001)).setting).toBe('weight');
    expect(refusal(() => add('c', 1.5)).setting).toBe('weight');
    expect(refusal(() => add('c', 1, 'redis://u:secret@h:1')).setting).toBe('url');
    expect(refusal(() => add('c', 1, 'redis://u:secret@h:1')).message).not.toMatch(/secret/);
    expect(refusal(() => add('c', 1, 'not a url')).setting).toBe('url');
    expect(refusal(() => proposeRing(v1, { kind: 'remove', id: 'x' })).message).toMatch(
      /"x" is not a node of ring version 1 \(nodes: a, b\)/,
    );
    const single = proposeRing(v1, { kind: 'remove', id: 'a' });
    expect(refusal(() => proposeRing(single, { kind: 'remove', id: 'b' })).message).toMatch(
      /last node/,
    );
    expect(
      refusal(() => proposeRing(v1, { kind: 'reweight', id: 'b', weight: 2 })).message,
    ).toMatch(/already has weight 2/);
    expect(refusal(() => proposeRing(v1, { kind: 'reweight', id: 'x', weight: 2 })).setting).toBe(
      'node',
    );
    expect(refusal(() => proposeRing(v1, { kind: 'reweight', id: 'b', weight: -1 })).setting).toBe(
      'weight',
    );
    expect(refusal(() => proposeRing(v1, { kind: 'layout', buckets: 64 })).message).toMatch(
      /already has 64 buckets/,
    );
    for (const buckets of [0, -3, 1.5, Number.NaN, 2 ** 25])
      expect(refusal(() => proposeRing(v1, { kind: 'layout', buckets })).setting).toBe('buckets');
  });
});
