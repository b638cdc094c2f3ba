/**
 * countd: distributed counters on Redis. The public API: produce increments, run the
 * aggregating worker, place and read counters.
 */
export {
  Producer,
  PRODUCER_DEFAULTS,
  type ProducerOptions,
  type ProducerEvents,
} from './producer/index.js';
export {
  CounterWorker,
  WORKER_DEFAULTS,
  type CounterWorkerOptions,
  type CounterWorkerEvents,
} from './worker/index.js';
export {
  HashRing,
  ringFingerprint,
  describeRingDifferences,
  type RingNode,
  type HashRingOptions,
} from './ring/index.js';
export { StorageLayout, type CounterLocation } from './storage/index.js';
export { CountdKeys } from './keys/index.js';
export { parseJobPayload, PAYLOAD_VERSION, MAX_JOB_PAIRS, type JobPayload } from './jobs/index.js';
export { WorkerMetrics, ProducerMetrics } from './metrics/index.js';
export {
  parseConfig,
  parseNodeList,
  parseRedisUrl,
  toRedisOptions,
  SETTINGS,
  type CountdConfig,
  type NodeSpec,
} from './config/index.js';
export * from './errors/index.js';
