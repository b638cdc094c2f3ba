import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { HashRing, type RingNode } from '../../src/ring/index.js';
import { LibketamaReference, equalNodes, sampleNames } from './libketama-reference.js';

/** The part of the npm `hashring` 3.2.0 API used here (CommonJS, no bundled types). */
interface NpmHashRing {
  get(key: string): string;
  points(servers?: string[]): Record<string, number[]>;
}
type NpmHashRingConstructor = new (servers: Record<string, number>) => NpmHashRing;

const NpmHashRing = createRequire(import.meta.url)('hashring') as NpmHashRingConstructor;
const NAMES = sampleNames(10_000);

function npmRing(nodes: readonly RingNode[]): NpmHashRing {
  return new NpmHashRing(Object.fromEntries(nodes.map((node) => [node.id, node.weight])));
}

function disagreements(nodes: readonly RingNode[]): string[] {
  const ours = new HashRing(nodes);
  const theirs = npmRing(nodes);
  return NAMES.filter((name) => ours.locate(name) !== theirs.get(name));
}

describe('agreement with the npm hashring package (ketama mode, md5)', () => {
  // hashring computes pct in double; it matches libketama's float rule on these sets.
  for (const n of [1, 2, 3, 5, 10]) {
    it(`agrees on 10,000 names for ${n} equal nodes`, () => {
      expect(disagreements(equalNodes(n))).toEqual([]);
    });
  }

  const weighted: RingNode[][] = [
    [
      { id: 'a', weight: 1 },
      { id: 'b', weight: 2 },
    ],
    [
      { id: 'a', weight: 1 },
      { id: 'b', weight: 2 },
      { id: 'c', weight: 3 },
    ],
    [
      { id: 'redis-east', weight: 5 },
      { id: 'redis-west', weight: 3 },
      { id: 'redis-north', weight: 2 },
    ],
    [1, 2, 3, 4, 5].map((weight) => ({ id: `w${weight}`, weight })),
  ];
  for (const nodes of weighted) {
    const label = nodes.map((n) => `${n.id}:${n.weight}`).join(',');
    it(`agrees on 10,000 names for weights ${label}`, () => {
      expect(disagreements(nodes)).toEqual([]);
    });
  }
});

describe('where hashring departs from libketama', () => {
  for (const n of [7, 14]) {
    it(`${n} equal nodes: hashring gives 39 hashes a node, countd follows libketama's 40`, () => {
      const nodes = equalNodes(n);
      const theirs = npmRing(nodes);
      for (const points of Object.values(theirs.points())) expect(points.length).toBe(39 * 4);

      const ours = new HashRing(nodes);
      for (const node of nodes) expect(ours.pointCount(node.id)).toBe(40 * 4);

      const reference = new LibketamaReference(nodes);
      const differing = NAMES.filter((name) => ours.locate(name) !== theirs.get(name));
      // The 40th hash of each node owns a few percent of the ring: those names differ.
      expect(differing.length).toBeGreaterThan(0);
      expect(differing.length).toBeLessThan(NAMES.length * 0.1);
      for (const name of differing) expect(ours.locate(name)).toBe(reference.locate(name));
    });
  }
});
