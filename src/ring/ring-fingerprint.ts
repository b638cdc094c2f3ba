import { createHash } from 'node:crypto';
import { ConfigError } from '../errors/index.js';
import { formatRollups, type Rollups } from '../rollups/index.js';
import type { RingDefinition } from './hash-ring.js';
import { canonicalNodes, HASH_RING_DEFAULTS, type RingNode } from './ring-options.js';

/** Bumped when the canonical form changes meaning, so old and new workers never look alike. */
export const RING_CANONICAL_VERSION = 1;

/** Everything that decides where a counter lives: the ring plus the storage layout. */
export interface RingFingerprintInput extends RingDefinition {
  /** Hashes per node holding counters (`<prefix>:t:<bucket>`). */
  readonly buckets: number;
  /** Redis key prefix on storage nodes. */
  readonly prefix: string;
  /** Time buckets every worker writes (COUNTD_ROLLUPS); none when absent or empty. */
  readonly rollups?: Rollups | undefined;
}

export interface RingFingerprint {
  /** First 16 hex digits of sha256(canonical). */
  readonly fingerprint: string;
  /** Stable JSON: fixed key order, nodes sorted by id, no URLs. */
  readonly canonical: string;
}

interface CanonicalRing {
  readonly v: number;
  readonly algorithm: string;
  readonly pointsPerWeight: number | null;
  readonly buckets: number;
  readonly prefix: string;
  /** Canonical spec (`minute:2d,hour:35d`); absent when no rollups, so rings without keep their fingerprint. */
  readonly rollups?: string;
  readonly nodes: readonly RingNode[];
}

/**
 * Fingerprints a ring and layout, independent of the order nodes are listed in. URLs are not
 * part of it (a node may move host without moving counters); `pointsPerWeight` counts only for
 * the `points` algorithm. Throws {@link ConfigError} on invalid nodes, buckets or prefix.
 */
export function ringFingerprint(input: RingFingerprintInput): RingFingerprint {
  if (!Number.isSafeInteger(input.buckets) || input.buckets < 1) {
    throw new ConfigError('buckets', `${String(input.buckets)} must be a positive integer`);
  }
  if (input.prefix === '') throw new ConfigError('prefix', 'must not be empty');
  const ring: CanonicalRing = {
    v: RING_CANONICAL_VERSION,
    algorithm: input.algorithm,
    pointsPerWeight:
      input.algorithm === 'points'
        ? (input.pointsPerWeight ?? HASH_RING_DEFAULTS.pointsPerWeight)
        : null,
    buckets: input.buckets,
    prefix: input.prefix,
    ...(input.rollups !== undefined && input.rollups.length > 0
      ? { rollups: formatRollups(input.rollups) }
      : {}),
    nodes: canonicalNodes(input.nodes).map(({ id, weight }) => ({ id, weight })),
  };
  const canonical = JSON.stringify(ring);
  const fingerprint = createHash('sha256').update(canonical).digest('hex').slice(0, 16);
  return { fingerprint, canonical };
}

/**
 * Lists, in words, how ring `actual` differs from ring `expected` (both canonical forms from
 * {@link ringFingerprint}); each entry reads expected → actual, e.g. `node "c" added (weight 1)`
 * or `buckets 1024 → 2048`. Empty when they are the same ring.
 */
export function describeRingDifferences(
  expectedCanonical: string,
  actualCanonical: string,
): string[] {
  if (expectedCanonical === actualCanonical) return [];
  const expected = parseCanonical(expectedCanonical);
  const actual = parseCanonical(actualCanonical);
  if (expected === undefined || actual === undefined) {
    return [`ring descriptions cannot be compared: ${expectedCanonical} vs ${actualCanonical}`];
  }
  const differences: string[] = [];
  const scalar = (label: string, from: unknown, to: unknown): void => {
    if (!Object.is(from, to))
      differences.push(`${label} ${JSON.stringify(from)} → ${JSON.stringify(to)}`);
  };
  scalar('canonical version', expected.v, actual.v);
  scalar('algorithm', expected.algorithm, actual.algorithm);
  scalar('pointsPerWeight', expected.pointsPerWeight, actual.pointsPerWeight);
  scalar('buckets', expected.buckets, actual.buckets);
  scalar('prefix', expected.prefix, actual.prefix);
  scalar('rollups', expected.rollups ?? '', actual.rollups ?? '');
  const before = new Map(expected.nodes.map((node) => [node.id, node.weight]));
  const after = new Map(actual.nodes.map((node) => [node.id, node.weight]));
  for (const [id, weight] of before) {
    const now = after.get(id);
    if (now === undefined) differences.push(`node "${id}" removed (weight ${weight})`);
    else if (now !== weight) differences.push(`node "${id}" weight ${weight} → ${now}`);
  }
  for (const [id, weight] of after) {
    if (!before.has(id)) differences.push(`node "${id}" added (weight ${weight})`);
  }
  if (differences.length === 0) differences.push('canonical forms differ in formatting only');
  return differences;
}

function parseCanonical(text: string): CanonicalRing | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const ring = value as Record<string, unknown>;
  const nodes = ring.nodes;
  if (!Array.isArray(nodes) || !nodes.every(isRingNode)) return undefined;
  const pointsPerWeight = ring.pointsPerWeight;
  return {
    v: typeof ring.v === 'number' ? ring.v : Number.NaN,
    algorithm: String(ring.algorithm),
    pointsPerWeight: typeof pointsPerWeight === 'number' ? pointsPerWeight : null,
    buckets: typeof ring.buckets === 'number' ? ring.buckets : Number.NaN,
    prefix: String(ring.prefix),
    ...(typeof ring.rollups === 'string' ? { rollups: ring.rollups } : {}),
    nodes,
  };
}

function isRingNode(value: unknown): value is RingNode {
  if (typeof value !== 'object' || value === null) return false;
  const node = value as Record<string, unknown>;
  return typeof node.id === 'string' && typeof node.weight === 'number';
}
