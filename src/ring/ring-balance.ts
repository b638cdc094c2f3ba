import type { HashRing } from './hash-ring.js';

/** How many of the sample keys one node holds, against its share by weight. */
export interface NodeBalance {
  readonly id: string;
  readonly weight: number;
  readonly points: number;
  readonly keys: number;
  /** keys / total keys. */
  readonly share: number;
  /** weight / total weight. */
  readonly expectedShare: number;
}

export interface RingBalance {
  readonly keys: number;
  readonly nodes: readonly NodeBalance[];
  /** Largest share / expectedShare: 1 is perfect; with equal weights, the max/mean of shares. */
  readonly maxOverMean: number;
  /**
   * Population standard deviation of share / expectedShare: 0 is perfect; with equal weights,
   * the standard deviation of node shares relative to their mean.
   */
  readonly stddev: number;
}

export interface RingMovement {
  readonly keys: number;
  /** Keys located on a different node by the second ring. */
  readonly moved: number;
  readonly fraction: number;
  /**
   * The least fraction any placement must move: half the sum of |expected share change| over
   * nodes, i.e. w/(W+w) when adding a node of weight w to total W, the node's share on removal.
   */
  readonly ideal: number;
}

/** Synthetic counter names `key:0`, `key:1`, ... for balance and movement measurements. */
export function syntheticKeys(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `key:${i}`);
}

/** Locates every name on `ring` and compares each node's share with its weight's share. */
export function measureBalance(ring: HashRing, names: readonly string[]): RingBalance {
  const counts = new Map<string, number>(ring.nodes.map((node) => [node.id, 0]));
  for (const name of names) {
    const id = ring.locate(name);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const totalWeight = ring.nodes.reduce((sum, node) => sum + node.weight, 0);
  const total = Math.max(1, names.length);
  const nodes = ring.nodes.map((node) => {
    const keys = counts.get(node.id) ?? 0;
    return {
      id: node.id,
      weight: node.weight,
      points: ring.pointCount(node.id),
      keys,
      share: keys / total,
      expectedShare: node.weight / totalWeight,
    };
  });
  const ratios = nodes.map((node) => node.share / node.expectedShare);
  const mean = ratios.reduce((sum, r) => sum + r, 0) / ratios.length;
  const variance = ratios.reduce((sum, r) => sum + (r - mean) ** 2, 0) / ratios.length;
  return {
    keys: names.length,
    nodes,
    maxOverMean: Math.max(...ratios),
    stddev: Math.sqrt(variance),
  };
}

/** Counts the names that `after` places on a different node than `before`. */
export function measureMovement(
  before: HashRing,
  after: HashRing,
  names: readonly string[],
): RingMovement {
  let moved = 0;
  for (const name of names) if (before.locate(name) !== after.locate(name)) moved++;
  return {
    keys: names.length,
    moved,
    fraction: names.length === 0 ? 0 : moved / names.length,
    ideal: idealMovement(before, after),
  };
}

function idealMovement(before: HashRing, after: HashRing): number {
  const shares = (ring: HashRing): Map<string, number> => {
    const total = ring.nodes.reduce((sum, node) => sum + node.weight, 0);
    return new Map(ring.nodes.map((node) => [node.id, node.weight / total]));
  };
  const from = shares(before);
  const to = shares(after);
  let change = 0;
  for (const id of new Set([...from.keys(), ...to.keys()])) {
    change += Math.abs((from.get(id) ?? 0) - (to.get(id) ?? 0));
  }
  return change / 2;
}
