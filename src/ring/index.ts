export { HashRing, type RingDefinition } from './hash-ring.js';
export {
  HASH_RING_DEFAULTS,
  MAX_POINTS_PER_WEIGHT,
  MAX_RING_NODES,
  MAX_RING_POINTS,
  RING_ALGORITHMS,
  type HashRingOptions,
  type RingAlgorithm,
  type RingNode,
} from './ring-options.js';
export { KETAMA_MAX_ID_BYTES, ketamaHashCount } from './ketama.js';
export {
  RING_CANONICAL_VERSION,
  describeRingDifferences,
  ringFingerprint,
  type RingFingerprint,
  type RingFingerprintInput,
} from './ring-fingerprint.js';
export {
  measureBalance,
  measureMovement,
  syntheticKeys,
  type NodeBalance,
  type RingBalance,
  type RingMovement,
} from './ring-balance.js';
