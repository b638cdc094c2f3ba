import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/index.js';
import { HashRing, type RingNode } from '../../src/ring/index.js';
import { LibketamaReference, equalNodes, sampleNames } from './libketama-reference.js';

const NAMES = sampleNames(10_000);

function expectSamePlacement(nodes: readonly RingNode[]): void {
  const ring = new HashRing(nodes);
  const reference = new LibketamaReference(nodes);
  for (const node of nodes)
    expect(ring.pointCount(node.id), node.id).toBe(reference.pointsOf(node.id));
  expect(ring.size).toBe(reference.continuum.length);
  const mismatches = NAMES.filter((name) => ring.locate(name) !== reference.locate(name));
  expect(mismatches).toEqual([]);
}

describe('HashRing ketama placement', () => {
  for (const n of [1, 2, 3, 5, 7, 10, 14]) {
    it(`equals the libketama rule on 10,000 names for ${n} equal nodes`, () => {
      expectSamePlacement(equalNodes(n));
    });
  }

  it('equals the libketama rule for unequal weights', () => {
    expectSamePlacement([
      { id: 'a', weight: 1 },
      { id: 'b', weight: 2 },
    ]);
    expectSamePlacement([
      { id: 'redis-east', weight: 5 },
      { id: 'redis-west', weight: 3 },
      { id: 'redis-north', weight: 2 },
    ]);
    expectSamePlacement([
      { id: 'n1', weight: 1 },
      { id: 'n2', weight: 7 },
      { id: 'n3', weight: 13 },
      { id: 'n4', weight: 2 },
      { id: 'n5', weight: 4 },
    ]);
  });

  it('gives 160 points (40 hashes) to each of 7 or 14 equal nodes and 156 to each of 61', () => {
    for (const n of [7, 14]) {
      const ring = new HashRing(equalNodes(n));
      for (const node of ring.nodes) expect(ring.pointCount(node.id)).toBe(160);
      expect(ring.size).toBe(160 * n);
    }
    const ring61 = new HashRing(equalNodes(61));
    expect(ring61.pointCount('node-1')).toBe(156);
  });

  it('places known names on a three-node ring (vectors shared with docs/ring.md)', () => {
    const ring = new HashRing([
      { id: 'a', weight: 1 },
      { id: 'b', weight: 1 },
      { id: 'c', weight: 1 },
    ]);
    expect(ring.keyHash('a')).toBe(3111502092); // md5("a") = 0cc175b9..., LE 0xb975c10c
    expect(ring.keyHash('page:home')).toBe(1310093055);
    expect(ring.locate('page:home')).toBe('c');
    expect(ring.locate('sales:product-7:eur')).toBe('b');
    expect(ring.locate('a')).toBe('a');
    expect(ring.locate('clé:été')).toBe('c');
  });

  it('does not depend on the order nodes are given in', () => {
    const nodes = equalNodes(5);
    const forward = new HashRing(nodes);
    const backward = new HashRing([...nodes].reverse());
    expect(backward.nodes).toEqual(forward.nodes);
    expect(NAMES.every((name) => forward.locate(name) === backward.locate(name))).toBe(true);
  });

  it('returns the same answers with and without the lookup cache', () => {
    const cached = new HashRing(equalNodes(3), { cacheSize: 1000 });
    const uncached = new HashRing(equalNodes(3), { cacheSize: 0 });
    for (let round = 0; round < 2; round++) {
      for (const name of NAMES) expect(cached.locate(name)).toBe(uncached.locate(name));
    }
  });
});

describe('HashRing points algorithm', () => {
  it('places like ketama at 160 points per weight with weight-1 nodes', () => {
    const ketama = new HashRing(equalNodes(4));
    const points = new HashRing(equalNodes(4), { algorithm: 'points', pointsPerWeight: 160 });
    expect(NAMES.every((name) => ketama.locate(name) === points.locate(name))).toBe(true);
  });

  it('gives each node weight * pointsPerWeight points, including counts not multiple of 4', () => {
    const ring = new HashRing(
      [
        { id: 'a', weight: 1 },
        { id: 'b', weight: 3 },
      ],
      { algorithm: 'points', pointsPerWeight: 101 },
    );
    expect(ring.pointCount('a')).toBe(101);
    expect(ring.pointCount('b')).toBe(303);
    expect(ring.size).toBe(404);
    expect(ring.definition).toEqual({
      nodes: ring.nodes,
      algorithm: 'points',
      pointsPerWeight: 101,
    });
  });
});

describe('HashRing add and remove', () => {
  it('returns new rings and leaves the original unchanged', () => {
    const ring = new HashRing(equalNodes(3));
    const grown = ring.withNode({ id: 'node-9', weight: 2 });
    const shrunk = ring.withoutNode('node-2');
    expect(ring.nodes.map((n) => n.id)).toEqual(['node-1', 'node-2', 'node-3']);
    expect(grown.nodes.map((n) => n.id)).toEqual(['node-1', 'node-2', 'node-3', 'node-9']);
    expect(shrunk.nodes.map((n) => n.id)).toEqual(['node-1', 'node-3']);
    expect(grown.has('node-9') && !ring.has('node-9')).toBe(true);
  });

  it('keeps the options of the ring it came from', () => {
    const ring = new HashRing(equalNodes(2), { algorithm: 'points', pointsPerWeight: 50 });
    expect(ring.withNode({ id: 'x', weight: 1 }).pointCount('x')).toBe(50);
  });

  it('moves keys only to an added node and only from a removed one (ketama, equal weights)', () => {
    const ring = new HashRing(equalNodes(5));
    const grown = ring.withNode({ id: 'node-6', weight: 1 });
    const shrunk = ring.withoutNode('node-3');
    for (const name of NAMES) {
      const before = ring.locate(name);
      const added = grown.locate(name);
      if (added !== before) expect(added).toBe('node-6');
      const removed = shrunk.locate(name);
      if (removed !== before) expect(before).toBe('node-3');
    }
  });

  it('rejects adding an existing id, removing an unknown one and removing the last node', () => {
    const ring = new HashRing(equalNodes(1));
    expect(() => ring.withNode({ id: 'node-1', weight: 1 })).toThrow(/already in the ring/);
    expect(() => ring.withoutNode('zz')).toThrow(/not in the ring/);
    expect(() => ring.withoutNode('node-1')).toThrow(/at least one node/);
  });
});

describe('HashRing validation', () => {
  const bad: [string, () => HashRing, RegExp][] = [
    ['empty node list', () => new HashRing([]), /at least one node/],
    [
      'duplicate ids',
      () => new HashRing([...equalNodes(2), { id: 'node-1', weight: 2 }]),
      /"node-1" appears twice/,
    ],
    ['bad id', () => new HashRing([{ id: 'a b', weight: 1 }]), /must match/],
    ['empty id', () => new HashRing([{ id: '', weight: 1 }]), /must match/],
    ['weight 0', () => new HashRing([{ id: 'a', weight: 0 }]), /weight of "a".*from 1/],
    ['fractional weight', () => new HashRing([{ id: 'a', weight: 1.5 }]), /weight of "a"/],
    ['NaN weight', () => new HashRing([{ id: 'a', weight: Number.NaN }]), /weight of "a"/],
    [
      'ketama node without points',
      () =>
        new HashRing([
          { id: 'big', weight: 1000 },
          { id: 'tiny', weight: 1 },
        ]),
      /"tiny" gets no ketama point/,
    ],
    [
      'pointsPerWeight 0',
      () => new HashRing(equalNodes(2), { algorithm: 'points', pointsPerWeight: 0 }),
      /pointsPerWeight: 0 must be an integer/,
    ],
    [
      'pointsPerWeight with ketama',
      () => new HashRing(equalNodes(2), { pointsPerWeight: 500 }),
      /applies to algorithm 'points' only/,
    ],
    [
      'unknown algorithm',
      () => new HashRing(equalNodes(2), { algorithm: 'rendezvous' as 'points' }),
      /"rendezvous" is not one of ketama, points/,
    ],
    ['negative cacheSize', () => new HashRing(equalNodes(2), { cacheSize: -1 }), /cacheSize/],
  ];
  for (const [label, build, message] of bad) {
    it(`rejects ${label} with a ConfigError`, () => {
      expect(build).toThrow(ConfigError);
      expect(build).toThrow(message);
    });
  }
});
