import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/index.js';
import {
  HashRing,
  describeRingDifferences,
  ringFingerprint,
  type RingFingerprintInput,
} from '../../src/ring/index.js';
import { parseRollups } from '../../src/rollups/index.js';

const BASE: RingFingerprintInput = {
  nodes: [
    { id: 'a', weight: 1 },
    { id: 'b', weight: 2 },
    { id: 'c', weight: 1 },
  ],
  algorithm: 'ketama',
  buckets: 1024,
  prefix: 'countd',
};

describe('ringFingerprint', () => {
  it('is stable: same input, same canonical form and hex', () => {
    const { fingerprint, canonical } = ringFingerprint(BASE);
    expect(canonical).toBe(
      '{"v":1,"algorithm":"ketama","pointsPerWeight":null,"buckets":1024,"prefix":"countd",' +
        '"nodes":[{"id":"a","weight":1},{"id":"b","weight":2},{"id":"c","weight":1}]}',
    );
    expect(fingerprint).toMatch(/^[0-9a-f]{16}$/);
    // printf '%s' <canonical> | sha256sum | cut -c1-16
    expect(fingerprint).toBe('6d80c6d722b7eb65');
    expect(ringFingerprint({ ...BASE }).fingerprint).toBe(fingerprint);
  });

  it('leaves the fingerprint of a ring without rollups as it was; rollups change it', () => {
    expect(ringFingerprint({ ...BASE, rollups: [] }).fingerprint).toBe('6d80c6d722b7eb65');
    const rollups = parseRollups('hour:35d,minute:48h', 'COUNTD_ROLLUPS');
    const withRollups = ringFingerprint({ ...BASE, rollups });
    expect(withRollups.canonical).toContain(
      '"prefix":"countd","rollups":"minute:2d,hour:35d","nodes"',
    );
    expect(withRollups.fingerprint).not.toBe('6d80c6d722b7eb65');
    // Written otherwise, the same rollups: the same ring.
    expect(
      ringFingerprint({ ...BASE, rollups: parseRollups('minute:2880m,hour:840h', 'x') })
        .fingerprint,
    ).toBe(withRollups.fingerprint);
    expect(describeRingDifferences(withRollups.canonical, ringFingerprint(BASE).canonical)).toEqual(
      ['rollups "minute:2d,hour:35d" → ""'],
    );
  });

  it('does not depend on node order or on anything but id and weight', () => {
    const shuffled = [...BASE.nodes].reverse().map((node) => ({
      ...node,
      url: 'redis://elsewhere:7000',
    }));
    expect(ringFingerprint({ ...BASE, nodes: shuffled })).toEqual(ringFingerprint(BASE));
  });

  it('matches the definition of a HashRing built from the same nodes', () => {
    const ring = new HashRing([...BASE.nodes].reverse());
    expect(ringFingerprint({ ...ring.definition, buckets: 1024, prefix: 'countd' })).toEqual(
      ringFingerprint(BASE),
    );
  });

  it('changes with weights, algorithm, points, buckets and prefix', () => {
    const base = ringFingerprint(BASE).fingerprint;
    const points = { ...BASE, algorithm: 'points' as const, pointsPerWeight: 160 };
    const variants: RingFingerprintInput[] = [
      { ...BASE, nodes: [...BASE.nodes.slice(0, 2), { id: 'c', weight: 2 }] },
      { ...BASE, nodes: BASE.nodes.slice(0, 2) },
      points,
      { ...points, pointsPerWeight: 161 },
      { ...BASE, buckets: 2048 },
      { ...BASE, prefix: 'other' },
    ];
    const prints = variants.map((v) => ringFingerprint(v).fingerprint);
    expect(new Set([base, ...prints]).size).toBe(variants.length + 1);
  });

  it('ignores pointsPerWeight under ketama, which does not use it', () => {
    expect(ringFingerprint({ ...BASE, pointsPerWeight: 500 })).toEqual(ringFingerprint(BASE));
  });

  it('rejects invalid nodes and layout with ConfigError', () => {
    expect(() => ringFingerprint({ ...BASE, nodes: [] })).toThrow(ConfigError);
    expect(() => ringFingerprint({ ...BASE, buckets: 0 })).toThrow(/buckets/);
    expect(() => ringFingerprint({ ...BASE, prefix: '' })).toThrow(/prefix/);
  });
});

describe('describeRingDifferences', () => {
  const canonical = (input: RingFingerprintInput): string => ringFingerprint(input).canonical;

  it('finds nothing between equal rings', () => {
    expect(describeRingDifferences(canonical(BASE), canonical(BASE))).toEqual([]);
  });

  it('lists added and removed nodes and changed weights', () => {
    const actual = canonical({
      ...BASE,
      nodes: [
        { id: 'a', weight: 3 },
        { id: 'c', weight: 1 },
        { id: 'd', weight: 1 },
      ],
    });
    expect(describeRingDifferences(canonical(BASE), actual)).toEqual([
      'node "a" weight 1 → 3',
      'node "b" removed (weight 2)',
      'node "d" added (weight 1)',
    ]);
  });

  it('lists algorithm, points, buckets and prefix changes', () => {
    const actual = canonical({
      ...BASE,
      algorithm: 'points',
      pointsPerWeight: 400,
      buckets: 4096,
      prefix: 'cd',
    });
    expect(describeRingDifferences(canonical(BASE), actual)).toEqual([
      'algorithm "ketama" → "points"',
      'pointsPerWeight null → 400',
      'buckets 1024 → 4096',
      'prefix "countd" → "cd"',
    ]);
  });

  it('says so when a description cannot be read', () => {
    const [only, ...rest] = describeRingDifferences('not json', canonical(BASE));
    expect(rest).toEqual([]);
    expect(only).toMatch(/cannot be compared/);
  });
});
