import { ConfigError } from '../errors/index.js';
import {
  KETAMA_HASHES_PER_SHARE,
  POINTS_PER_HASH,
  ketamaHashCount,
  writeNodePoints,
} from './ketama.js';
import type { Md5 } from './md5.js';
import {
  MAX_RING_NODES,
  MAX_RING_POINTS,
  type RingAlgorithm,
  type RingNode,
} from './ring-options.js';

/** Node ranks are packed below points; every rank of a valid ring is smaller. */
const RANK_SCALE = MAX_RING_NODES;

/** The sorted points of a ring and, for each point, the index of its node. */
export interface Continuum {
  /** Ascending; on equal points the node with the smaller index (id order) comes first. */
  readonly points: Uint32Array;
  /** `owners[i]` is the index in the canonical (id-sorted) node list of the node of `points[i]`. */
  readonly owners: Uint32Array;
  /** Points per node, in canonical node order. */
  readonly pointCounts: readonly number[];
}

/**
 * Builds the continuum of `nodes`, which must be canonical (validated, sorted by id).
 * Throws {@link ConfigError} when a ketama node would get no point at all or the ring is too big.
 */
export function buildContinuum(
  nodes: readonly RingNode[],
  algorithm: RingAlgorithm,
  pointsPerWeight: number,
  md5: Md5,
): Continuum {
  const pointCounts = countPoints(nodes, algorithm, pointsPerWeight);
  const total = pointCounts.reduce((sum, count) => sum + count, 0);
  if (total > MAX_RING_POINTS) {
    throw new ConfigError(
      'pointsPerWeight',
      `the ring would have ${total} points, more than ${MAX_RING_POINTS}; lower pointsPerWeight or weights`,
    );
  }
  const raw = new Uint32Array(total);
  const packed = new Float64Array(total);
  let at = 0;
  nodes.forEach((node, rank) => {
    const end = writeNodePoints(md5, node.id, pointCounts[rank]!, raw, at);
    // point * 2^16 + rank is exact in a double (48 bits): one typed-array sort orders by point,
    // then by node rank, so equal points resolve the same way whatever order nodes were given in.
    for (; at < end; at++) packed[at] = raw[at]! * RANK_SCALE + rank;
  });
  packed.sort();
  const points = new Uint32Array(total);
  const owners = new Uint32Array(total);
  for (let i = 0; i < total; i++) {
    const value = packed[i]!;
    const rank = value % RANK_SCALE;
    owners[i] = rank;
    points[i] = (value - rank) / RANK_SCALE;
  }
  return { points, owners, pointCounts };
}

function countPoints(
  nodes: readonly RingNode[],
  algorithm: RingAlgorithm,
  pointsPerWeight: number,
): number[] {
  if (algorithm === 'points') return nodes.map((node) => node.weight * pointsPerWeight);
  const totalWeight = nodes.reduce((sum, node) => sum + node.weight, 0);
  return nodes.map((node) => {
    const hashes = ketamaHashCount(node.weight, totalWeight, nodes.length);
    if (hashes === 0) {
      // libketama would silently leave the node out of the ring; refusing is kinder.
      throw new ConfigError(
        'nodes',
        `node "${node.id}" gets no ketama point: weight ${node.weight} of ${totalWeight} is below ` +
          `1/${KETAMA_HASHES_PER_SHARE * nodes.length} of the total; raise it or use algorithm 'points'`,
      );
    }
    return hashes * POINTS_PER_HASH;
  });
}

/**
 * Index of the first point `>= hash`, wrapping to 0 past the last point: the ketama rule.
 * libketama's own search returns the same index, including on runs of equal points.
 */
export function findPoint(points: Uint32Array, hash: number): number {
  let low = 0;
  let high = points.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (points[mid]! < hash) low = mid + 1;
    else high = mid;
  }
  return low === points.length ? 0 : low;
}
