import { MAX_NODE_WEIGHT, validateNodeId } from '../config/node-spec.js';
import { ConfigError } from '../errors/index.js';

/**
 * `ketama`: libketama placement (40 md5 hashes = 160 points per node at an equal share).
 * `points`: each node gets `weight * pointsPerWeight` points named the ketama way; a node's
 * points depend on its own weight only, so adding a node moves keys only to it.
 */
export type RingAlgorithm = 'ketama' | 'points';

export const RING_ALGORITHMS: readonly RingAlgorithm[] = ['ketama', 'points'];

/**
 * A node as the ring sees it: placement depends on `id` and `weight`, never on the URL.
 * Ids of at most 21 bytes keep ketama placement reproducible by libketama itself, which copies
 * only 21 bytes of a server name.
 */
export interface RingNode {
  readonly id: string;
  /** A positive integer; shares of keys follow weights. */
  readonly weight: number;
}

/** Options of a {@link HashRing}. */
export interface HashRingOptions {
  /** Placement algorithm. @defaultValue `'ketama'` */
  readonly algorithm: RingAlgorithm;
  /**
   * Points per weight unit in the `points` algorithm (more points, better balance, bigger ring).
   * Not allowed with `ketama`, whose point count is fixed by libketama.
   * @defaultValue 160
   */
  readonly pointsPerWeight: number;
  /**
   * Memoized lookups kept for hot names. A name stays memoized while it is looked up at least
   * once every `cacheSize / 2` new names; 0 turns memoization off, which is faster when nearly
   * every name is new (a miss costs about twice an uncached lookup).
   * @defaultValue 100_000
   */
  readonly cacheSize: number;
}

export const HASH_RING_DEFAULTS: Readonly<HashRingOptions> = Object.freeze({
  algorithm: 'ketama',
  pointsPerWeight: 160,
  cacheSize: 100_000,
});

export const MAX_POINTS_PER_WEIGHT = 10_000;
/** Ties between points are broken by node rank packed below the point in a double: 2^16 fits. */
export const MAX_RING_NODES = 65_536;
/** Bounds the ring's memory (8 bytes a point) and build time. */
export const MAX_RING_POINTS = 16_777_216;

/** Merges options over {@link HASH_RING_DEFAULTS} and validates them; throws {@link ConfigError}. */
export function resolveRingOptions(options: Partial<HashRingOptions>): Readonly<HashRingOptions> {
  const merged: HashRingOptions = { ...HASH_RING_DEFAULTS, ...withoutUndefined(options) };
  if (!RING_ALGORITHMS.includes(merged.algorithm)) {
    throw new ConfigError(
      'algorithm',
      `"${String(merged.algorithm)}" is not one of ${RING_ALGORITHMS.join(', ')}`,
    );
  }
  if (merged.algorithm === 'ketama' && options.pointsPerWeight !== undefined) {
    throw new ConfigError(
      'pointsPerWeight',
      "applies to algorithm 'points' only: ketama's point count is fixed by libketama",
    );
  }
  checkInteger('pointsPerWeight', merged.pointsPerWeight, 1, MAX_POINTS_PER_WEIGHT);
  checkInteger('cacheSize', merged.cacheSize, 0, Number.MAX_SAFE_INTEGER);
  return Object.freeze(merged);
}

/**
 * Validates a node list (non-empty, valid unique ids, integer weights) and returns frozen
 * `{id, weight}` copies sorted by id, the ring's canonical order.
 */
export function canonicalNodes(nodes: readonly RingNode[]): readonly RingNode[] {
  if (nodes.length === 0) throw new ConfigError('nodes', 'a ring needs at least one node');
  if (nodes.length > MAX_RING_NODES) {
    throw new ConfigError('nodes', `${nodes.length} nodes exceed the limit of ${MAX_RING_NODES}`);
  }
  const seen = new Set<string>();
  const copies = nodes.map((node) => {
    validateNodeId(node.id, 'nodes');
    if (seen.has(node.id)) throw new ConfigError('nodes', `node id "${node.id}" appears twice`);
    seen.add(node.id);
    checkInteger(`nodes: weight of "${node.id}"`, node.weight, 1, MAX_NODE_WEIGHT);
    return Object.freeze({ id: node.id, weight: node.weight });
  });
  copies.sort((x, y) => compareIds(x.id, y.id));
  return Object.freeze(copies);
}

/** Orders ids by UTF-16 code units, which for the ASCII ids allowed equals byte order. */
export function compareIds(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

function checkInteger(setting: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(setting, `${String(value)} must be an integer from ${min} to ${max}`);
  }
}

function withoutUndefined<T extends object>(options: Partial<T>): Partial<T> {
  return Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}
