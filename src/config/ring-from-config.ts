import { requireNodes, toRedisOptions, type CountdConfig } from './index.js';
import { HashRing, describeRingDifferences, ringFingerprint } from '../ring/index.js';
import type { FleetIdentity } from '../worker/index.js';

/** The ring and fleet identity a config describes: every process of a deployment builds the same. */
export function ringFromConfig(config: CountdConfig): { ring: HashRing; fleet: FleetIdentity } {
  const nodes = requireNodes(config);
  const ring = new HashRing(
    nodes.map((n) => ({ id: n.id, weight: n.weight })),
    config.ringAlgorithm === 'points'
      ? { algorithm: 'points', pointsPerWeight: config.ringPoints }
      : { algorithm: 'ketama' },
  );
  const { fingerprint, canonical } = ringFingerprint({
    ...ring.definition,
    buckets: config.buckets,
    prefix: config.prefix,
    rollups: config.rollups,
  });
  return { ring, fleet: { fingerprint, canonical, describeDifferences: describeRingDifferences } };
}

/** ioredis options per storage node. */
export function nodeConnections(config: CountdConfig) {
  return requireNodes(config).map((n) => ({ id: n.id, connection: toRedisOptions(n.connection) }));
}
