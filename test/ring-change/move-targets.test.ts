import { describe, expect, it } from 'vitest';
import {
  ChangePlacement,
  proposeRing,
  ringRecord,
  type RingChangeRecord,
  type RingRecord,
} from '../../src/ring-change/index.js';
import { MoveTargets } from '../../src/ring-change/move-targets.js';
import { CountdKeys } from '../../src/keys/index.js';

const prefix = 'test:mt';
const v1 = ringRecord({
  version: 1,
  algorithm: 'ketama',
  buckets: 64,
  prefix,
  nodes: ['a', 'b', 'c'].map((id) => ({ id, weight: 1, url: `redis://${id}:6379` })),
});
const change = (to: RingRecord): RingChangeRecord => ({
  kind: 'add',
  from: v1,
  to,
  phase: 'moving',
  startedAt: 0,
  updatedAt: 0,
  moved: 0,
  toMove: null,
});

describe('MoveTargets', () => {
  const cases: Array<[string, RingRecord]> = [
    ['add', proposeRing(v1, { kind: 'add', node: { id: 'd', weight: 1, url: 'redis://d:1' } })],
    ['remove', proposeRing(v1, { kind: 'remove', id: 'b' })],
    ['layout', proposeRing(v1, { kind: 'layout', buckets: 100 })],
  ];
  for (const [kind, to] of cases) {
    it(`${kind}: moves exactly what ChangePlacement.movesFrom moves, to the same place`, () => {
      const placement = new ChangePlacement(change(to));
      const targets = new MoveTargets(change(to));
      let moving = 0;
      for (let i = 0; i < 5000; i++) {
        const name = `n2:views:${i}`;
        const at = placement.from.locate(name);
        const bucket = placement.from.bucketOf(name);
        // At its from location, and at a wrong node or hash.
        for (const [node, b] of [
          [at.node, bucket],
          [at.node, (bucket + 1) % 64],
          [at.node === 'a' ? 'b' : 'a', bucket],
        ] as const) {
          const key = placement.from.keys.bucket(b);
          const want = placement.movesFrom(name, node, key);
          const got = targets.counter(name, node, b);
          expect(got !== undefined, `${name} on ${node} ${key}`).toBe(want);
          if (got === undefined) continue;
          moving++;
          const { current, movedKey } = placement.locate(name);
          expect(got).toEqual({ node: current.node, key: current.key, flagKey: movedKey });
        }
      }
      expect(moving).toBeGreaterThan(0);
    });
  }

  it('places a time-bucket field with its counter: slot under `to`, flags by movedInSeries', () => {
    const to = proposeRing(v1, { kind: 'layout', buckets: 100 });
    const placement = new ChangePlacement(change(to));
    const targets = new MoveTargets(change(to));
    const keys = new CountdKeys(prefix);
    const name = 'n2:views:7';
    const at = placement.from.locate(name);
    const slot = placement.from.bucketOf(name);
    const series = targets.parseSeries(keys.series('1m', 1_700_000_040_000, slot))!;
    expect(series).toMatchObject({ granularity: '1m', startMs: 1_700_000_040_000, slot });
    const target = targets.series(name, at.node, series)!;
    const newKey = keys.series('1m', 1_700_000_040_000, placement.to.bucketOf(name));
    expect(target).toEqual({
      node: placement.to.locate(name).node,
      key: newKey,
      flagKey: keys.movedInSeries(to.version, newKey),
    });
    expect(targets.parseSeries(`${prefix}:s:oops`)).toBeUndefined();
    expect(targets.parseSeries(keys.bucket(3))).toBeUndefined();
  });
});
