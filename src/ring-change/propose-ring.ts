import { MAX_NODE_WEIGHT, validateNodeId } from '../config/node-spec.js';
import { parseRedisUrl } from '../config/redis-url.js';
import { SETTINGS } from '../config/settings.js';
import { ConfigError } from '../errors/index.js';
import { formatRollups, type Rollups } from '../rollups/index.js';
import { ringRecord, type RegisteredNode, type RingRecord } from './ring-record.js';

/** What one `countd ring add|remove|reweight|layout` asks for. */
export type RingChangeRequest =
  /** `url` without credentials: it is stored in the queue Redis for every worker to read. */
  | { kind: 'add'; node: { id: string; weight: number; url: string } }
  | { kind: 'remove'; id: string }
  | { kind: 'reweight'; id: string; weight: number }
  /**
   * Buckets and/or rollups (docs/series.md): nothing moves for rollups, the next version writes
   * the new buckets; an empty list drops them all (what was written expires with its TTL).
   */
  | { kind: 'layout'; buckets?: number | undefined; rollups?: Rollups | undefined };

/**
 * The next version's record (version = current.version + 1) for `request`. Throws a ConfigError
 * naming what is wrong: the id already exists or is unknown, the last node would go, the weight
 * or bucket count is unchanged or out of range, the URL carries credentials.
 */
export function proposeRing(current: RingRecord, request: RingChangeRequest): RingRecord {
  const next = (changes: {
    nodes?: readonly RegisteredNode[];
    buckets?: number;
    rollups?: Rollups;
  }): RingRecord =>
    ringRecord({
      version: current.version + 1,
      algorithm: current.algorithm,
      pointsPerWeight: current.pointsPerWeight,
      buckets: changes.buckets ?? current.buckets,
      prefix: current.prefix,
      rollups: changes.rollups ?? current.rollups,
      nodes: changes.nodes ?? current.nodes,
    });
  const known = (id: string): RegisteredNode => {
    const node = current.nodes.find((n) => n.id === id);
    if (node === undefined)
      throw new ConfigError(
        'node',
        `"${id}" is not a node of ring version ${current.version} (nodes: ${ids(current)})`,
      );
    return node;
  };
  switch (request.kind) {
    case 'add': {
      const { id, weight, url } = request.node;
      validateNodeId(id, 'node');
      if (current.nodes.some((n) => n.id === id))
        throw new ConfigError(
          'node',
          `"${id}" is already a node of ring version ${current.version}`,
        );
      checkWeight(weight);
      checkUrl(url);
      return next({ nodes: [...current.nodes, { id, weight, url }] });
    }
    case 'remove': {
      known(request.id);
      if (current.nodes.length === 1)
        throw new ConfigError('node', `"${request.id}" is the last node: a ring needs one`);
      return next({ nodes: current.nodes.filter((n) => n.id !== request.id) });
    }
    case 'reweight': {
      const node = known(request.id);
      checkWeight(request.weight);
      if (node.weight === request.weight)
        throw new ConfigError('weight', `node "${node.id}" already has weight ${node.weight}`);
      return next({
        nodes: current.nodes.map((n) => (n.id === node.id ? { ...n, weight: request.weight } : n)),
      });
    }
    case 'layout': {
      // The one definition of the allowed range is the COUNTD_BUCKETS setting's.
      const buckets =
        request.buckets === undefined
          ? current.buckets
          : SETTINGS.buckets.parse(String(request.buckets), 'buckets');
      const rollups = request.rollups ?? current.rollups ?? [];
      const sameRollups = formatRollups(rollups) === formatRollups(current.rollups ?? []);
      if (request.rollups !== undefined && sameRollups && buckets === current.buckets)
        throw new ConfigError(
          'rollups',
          `the ring already keeps ${formatRollups(rollups) || 'no rollups'}`,
        );
      if (buckets === current.buckets && sameRollups)
        throw new ConfigError('buckets', `the ring already has ${buckets} buckets`);
      return next({ buckets, rollups });
    }
  }
}

function checkWeight(weight: number): void {
  if (!Number.isSafeInteger(weight) || weight < 1 || weight > MAX_NODE_WEIGHT)
    throw new ConfigError(
      'weight',
      `${String(weight)} must be an integer from 1 to ${MAX_NODE_WEIGHT}`,
    );
}

function checkUrl(url: string): void {
  // The project's parser: `new URL` reads a Sentinel list `s1:26379+s2:26380` as one host with
  // a bad port and refused every multi-sentinel URL. Its errors never repeat a password.
  const parsed = parseRedisUrl(url, 'url');
  // The record is readable by anyone with the queue Redis: a password there would leak.
  if (
    parsed.username !== undefined ||
    parsed.password !== undefined ||
    parsed.sentinel?.username !== undefined ||
    parsed.sentinel?.password !== undefined
  )
    throw new ConfigError('url', 'must not carry a username or password (they are not stored)');
}

function ids(record: RingRecord): string {
  return record.nodes.map((n) => n.id).join(', ');
}
