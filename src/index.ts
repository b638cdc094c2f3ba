/**
 * countd: distributed counters on Redis. The package's one entry (`'countd'`): produce
 * increments, run the aggregating worker, place and read counters, parse the configuration.
 * Every name the docs use is here; what a folder's `index.ts` exports beyond it is internal.
 * The `fromConfig` option types come from their options modules.
 */
export {
  Producer,
  PRODUCER_DEFAULTS,
  type ProducerOptions,
  type ProducerEvents,
} from './producer/index.js';
export type { ProducerConfigOverrides } from './producer/producer-options.js';
export {
  CounterWorker,
  WORKER_DEFAULTS,
  type CounterWorkerOptions,
  type CounterWorkerEvents,
  type FleetIdentity,
} from './worker/index.js';
export type { WorkerConfigOverrides } from './worker/worker-options.js';
export {
  CounterReader,
  CounterWatch,
  READER_DEFAULTS,
  INT64_MAX,
  INT64_MIN,
  compileGlob,
  matchGlob,
  parseUpdateMessage,
  CorruptCounterValueError,
  InvalidCounterValueError,
  InvalidCursorError,
  MalformedUpdateError,
  RingStateUnavailableError,
  RingUnsettledError,
  UnsafeCounterValueError,
  MAX_SERIES_BUCKETS,
  type Series,
  type SeriesOptions,
  type SeriesStep,
  type CounterPage,
  type ListOptions,
  type CounterReaderInput,
  type CounterReaderOptions,
  type FleetLink,
  type ReaderNode,
  type CounterValue,
  type ValueMode,
  type CounterWatchEvents,
  type WatchCallback,
  type GlobMatcher,
  type ParsedUpdates,
  type UpdateProblem,
} from './reader/index.js';
export type { ReaderConfigOverrides } from './reader/reader-options.js';
export {
  HashRing,
  HASH_RING_DEFAULTS,
  MAX_POINTS_PER_WEIGHT,
  MAX_RING_NODES,
  MAX_RING_POINTS,
  RING_ALGORITHMS,
  KETAMA_MAX_ID_BYTES,
  ketamaHashCount,
  RING_CANONICAL_VERSION,
  ringFingerprint,
  describeRingDifferences,
  measureBalance,
  measureMovement,
  syntheticKeys,
  type RingDefinition,
  type RingNode,
  type RingAlgorithm,
  type HashRingOptions,
  type RingFingerprint,
  type RingFingerprintInput,
  type NodeBalance,
  type RingBalance,
  type RingMovement,
} from './ring/index.js';
export { StorageLayout, type CounterLocation, type NodeLocator } from './storage/index.js';
export { CountdKeys } from './keys/index.js';
export {
  parseJobPayload,
  incrementCount,
  retryPayload,
  jobInstance,
  PAYLOAD_VERSION,
  MAX_JOB_PAIRS,
  MAX_BATCH_ID_LENGTH,
  JOB_NAME,
  type JobPayload,
  type JobIdentity,
} from './jobs/index.js';
export { counterNameProblem, assertCounterName, MAX_NAME_BYTES } from './validation/index.js';
export {
  WorkerMetrics,
  ProducerMetrics,
  GatewayMetrics,
  type WorkerStateSource,
} from './metrics/index.js';
// What `countd gateway` accepts on the wire (StatsD lines, HTTP bodies, idempotency keys), for
// services that validate or build the same formats.
export * from './gateway/index.js';
export {
  parseConfig,
  requireQueue,
  requireNodes,
  CONFIG_FLAGS,
  SETTINGS,
  parseNodeList,
  validateNodeId,
  parseWeight,
  NODE_ID_PATTERN,
  parseRedisUrl,
  redactUrl,
  toRedisOptions,
  type CountdConfig,
  type Setting,
  type SettingName,
  type LogLevel,
  type NodeSpec,
  type RedisConnection,
} from './config/index.js';
export { ringFromConfig, nodeConnections } from './config/ring-from-config.js';
export * from './errors/index.js';
// Live ring changes: the fleet's versioned ring, the change runner `countd ring` drives, and
// where a counter is while a change runs (for tools that read or move counters themselves).
export * from './ring-change/index.js';
// Time buckets: the COUNTD_ROLLUPS grammar (`minute:48h,hour:35d`), the granularities and the
// bucket start of a time, for readers built without configuration and for other-language tools.
export * from './rollups/index.js';
