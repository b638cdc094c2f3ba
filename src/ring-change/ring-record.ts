import { ConfigError } from '../errors/index.js';
import { HashRing, ringFingerprint, type RingAlgorithm } from '../ring/index.js';
import { parseRollups, type Rollups } from '../rollups/index.js';
import { StorageLayout } from '../storage/index.js';

/** A node as the fleet's registered ring holds it: the URL carries no credentials. */
export interface RegisteredNode {
  readonly id: string;
  readonly weight: number;
  /** Without username or password; absent in records written by 0.1.0. */
  readonly url?: string;
}

/**
 * One version of the fleet's ring, as registered in the queue Redis (`countd:fleet:<q>:ring`).
 * `fingerprint` and `canonical` come first and keep their meaning: 0.1.0 workers read only them.
 */
export interface RingRecord {
  readonly fingerprint: string;
  readonly canonical: string;
  /** 1 for the first ring of a fleet (and for records written by 0.1.0, which have none). */
  readonly version: number;
  readonly algorithm: RingAlgorithm;
  /** Only for the `points` algorithm. */
  readonly pointsPerWeight?: number;
  readonly buckets: number;
  readonly prefix: string;
  /** Time buckets the workers of this version write (docs/series.md); absent when none. */
  readonly rollups?: Rollups;
  /** Sorted by id. */
  readonly nodes: readonly RegisteredNode[];
}

/** What a ring record is built from. */
export interface RingRecordInput {
  readonly version: number;
  readonly algorithm: RingAlgorithm;
  readonly pointsPerWeight?: number | undefined;
  readonly buckets: number;
  readonly prefix: string;
  readonly rollups?: Rollups | undefined;
  readonly nodes: readonly RegisteredNode[];
}

/** Builds a record (fingerprint and canonical form computed from the rest). */
export function ringRecord(input: RingRecordInput): RingRecord {
  if (!Number.isSafeInteger(input.version) || input.version < 1)
    throw new ConfigError('version', `${String(input.version)} must be a positive integer`);
  const ring = hashRingOf({ ...input, fingerprint: '', canonical: '' });
  const { fingerprint, canonical } = ringFingerprint({
    ...ring.definition,
    buckets: input.buckets,
    prefix: input.prefix,
    rollups: input.rollups,
  });
  const nodes = [...input.nodes]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((n) => (n.url === undefined ? { id: n.id, weight: n.weight } : { ...n }));
  return {
    fingerprint,
    canonical,
    version: input.version,
    algorithm: input.algorithm,
    ...(input.algorithm === 'points' && input.pointsPerWeight !== undefined
      ? { pointsPerWeight: input.pointsPerWeight }
      : {}),
    buckets: input.buckets,
    prefix: input.prefix,
    ...(input.rollups !== undefined && input.rollups.length > 0 ? { rollups: input.rollups } : {}),
    nodes,
  };
}

/**
 * Reads a stored ring record. A record of 0.1.0 (`{fingerprint, canonical}` only) is version 1,
 * its nodes, algorithm and layout taken from the canonical form. Throws a ConfigError naming
 * `key` when the text is not a ring record.
 */
export function parseRingRecord(text: string, key: string): RingRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ConfigError(key, 'holds a value that is not JSON');
  }
  if (typeof value !== 'object' || value === null) throw new ConfigError(key, 'is not a record');
  const record = value as Record<string, unknown>;
  if (typeof record.fingerprint !== 'string' || typeof record.canonical !== 'string')
    throw new ConfigError(key, 'has no fingerprint and canonical form');
  let canonical: Record<string, unknown>;
  try {
    canonical = JSON.parse(record.canonical) as Record<string, unknown>;
  } catch {
    throw new ConfigError(key, 'holds a canonical form that is not JSON');
  }
  const version = record.version === undefined ? 1 : record.version;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1)
    throw new ConfigError(key, `has version ${JSON.stringify(version)}, not a positive integer`);
  const nodes = Array.isArray(record.nodes) ? record.nodes : canonical.nodes;
  if (!Array.isArray(nodes) || !nodes.every(isRegisteredNode))
    throw new ConfigError(key, 'has no valid node list');
  const algorithm = canonical.algorithm;
  if (algorithm !== 'ketama' && algorithm !== 'points')
    throw new ConfigError(key, `names an unknown algorithm ${JSON.stringify(algorithm)}`);
  const buckets = canonical.buckets;
  const prefix = canonical.prefix;
  if (typeof buckets !== 'number' || typeof prefix !== 'string')
    throw new ConfigError(key, 'has no buckets or prefix in its canonical form');
  const points = canonical.pointsPerWeight;
  // The canonical form holds the rollups (the fingerprint covers them), not the record's copy.
  const rollups =
    typeof canonical.rollups === 'string' ? parseRollups(canonical.rollups, key) : undefined;
  return {
    fingerprint: record.fingerprint,
    canonical: record.canonical,
    version,
    algorithm,
    ...(typeof points === 'number' && algorithm === 'points' ? { pointsPerWeight: points } : {}),
    buckets,
    prefix,
    ...(rollups !== undefined && rollups.length > 0 ? { rollups } : {}),
    nodes: nodes.map((n) =>
      n.url === undefined
        ? { id: n.id, weight: n.weight }
        : { id: n.id, weight: n.weight, url: n.url },
    ),
  };
}

/** The hash ring a record describes. */
export function hashRingOf(record: RingRecord): HashRing {
  return new HashRing(
    record.nodes.map(({ id, weight }) => ({ id, weight })),
    record.algorithm === 'points'
      ? {
          algorithm: 'points',
          ...(record.pointsPerWeight !== undefined
            ? { pointsPerWeight: record.pointsPerWeight }
            : {}),
        }
      : { algorithm: 'ketama' },
  );
}

/** The storage layout (ring, prefix, buckets) a record describes. */
export function layoutOf(record: RingRecord): StorageLayout {
  return new StorageLayout(hashRingOf(record), record.prefix, record.buckets);
}

function isRegisteredNode(value: unknown): value is RegisteredNode {
  if (typeof value !== 'object' || value === null) return false;
  const node = value as Record<string, unknown>;
  return (
    typeof node.id === 'string' &&
    typeof node.weight === 'number' &&
    (node.url === undefined || typeof node.url === 'string')
  );
}
