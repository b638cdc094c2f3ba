import type { RedisOptions } from 'ioredis';
import {
  SETTING_DEFAULTS,
  clockSkewMargin,
  pickSettings,
  requireQueue,
  toRedisOptions,
  type CountdConfig,
  type DefaultedSetting,
} from '../config/index.js';
import { nodeConnections, ringFromConfig } from '../config/ring-from-config.js';
import { ConfigError } from '../errors/index.js';
import type { WorkerMetrics } from '../metrics/index.js';
import type { Rollups } from '../rollups/index.js';
import type { NodeLocator } from '../storage/index.js';
import { assertKeyPrefix, assertQueueName } from '../validation/index.js';

/** The ring identity a fleet agrees on (see `ringFingerprint` in src/ring). */
export interface FleetIdentity {
  readonly fingerprint: string;
  /** Canonical description of nodes, weights, algorithm and layout; stored in the queue Redis. */
  readonly canonical: string;
  /** Human-readable differences between two canonical descriptions. */
  describeDifferences(expected: string, actual: string): string[];
}

/** Options of {@link CounterWorker}. */
export interface CounterWorkerOptions {
  /** Queue Redis connection (BullMQ). */
  readonly queue: RedisOptions;
  /** BullMQ queue name. @defaultValue the default of `COUNTD_QUEUE_NAME` */
  readonly queueName: string;
  /** Storage nodes, in any order; `id` must be what the ring returns. */
  readonly nodes: ReadonlyArray<{ readonly id: string; readonly connection: RedisOptions }>;
  /** Maps a counter name to a node id. */
  readonly ring: NodeLocator;
  /** Registered in the queue Redis on start; a different ring already there stops the worker. */
  readonly fleet?: FleetIdentity;
  /** Storage key prefix. @defaultValue the default of `COUNTD_PREFIX` */
  readonly prefix: string;
  /** Hashes per node. @defaultValue the default of `COUNTD_BUCKETS` */
  readonly buckets: number;
  /**
   * Time buckets kept per counter (docs/series.md); part of the fleet identity, so `fleet` must
   * be built with the same. @defaultValue the default of `COUNTD_ROLLUPS` (none)
   */
  readonly rollups: Rollups;
  /** @defaultValue the default of `COUNTD_FLUSH_INTERVAL_MS` */
  readonly flushIntervalMs: number;
  /** Jobs held at once. @defaultValue the default of `COUNTD_CONCURRENCY` */
  readonly concurrency: number;
  /**
   * Distinct buffered counters that trigger a flush.
   * @defaultValue the default of `COUNTD_MAX_BUFFER_COUNTERS`
   */
  readonly maxBufferCounters: number;
  /**
   * Buffer bytes that trigger a flush; at twice this the worker stops taking jobs.
   * @defaultValue the default of `COUNTD_MAX_BUFFER_BYTES`
   */
  readonly maxBufferBytes: number;
  /** HINCRBYs per apply script. @defaultValue the default of `COUNTD_MAX_SCRIPT_COUNTERS` */
  readonly maxScriptCounters: number;
  /** Nodes flushed at once. @defaultValue the default of `COUNTD_FLUSH_PARALLELISM` */
  readonly flushParallelism: number;
  /** @defaultValue the default of `COUNTD_MARKER_TTL_S` */
  readonly markerTtlSeconds: number;
  /** @defaultValue the default of `COUNTD_MARKER_GRACE_S` */
  readonly markerGraceSeconds: number;
  /**
   * Replicas of a node that must acknowledge an apply (`WAIT`) before its jobs complete; 0: the
   * primary's reply suffices. @defaultValue the default of `COUNTD_MIN_REPLICAS`
   */
  readonly minReplicas: number;
  /** Longest one `WAIT` blocks. @defaultValue the default of `COUNTD_REPLICA_WAIT_MS` */
  readonly replicaWaitMs: number;
  /** Publish new values on `<prefix>:updates`. @defaultValue the default of `COUNTD_PUBLISH` */
  readonly publishUpdates: boolean;
  /** Values per published message. @defaultValue `WORKER_DEFAULTS.publishChunk` */
  readonly publishChunk: number;
  /**
   * BullMQ job lock; a crashed worker's held jobs are redelivered after about this long.
   * @defaultValue the default of `COUNTD_LOCK_DURATION_MS`
   */
  readonly lockDurationMs: number;
  /**
   * Most the clocks of the queue Redis and a storage node may differ by. An apply carries a
   * deadline in the queue Redis's clock (lock extended until then) that the node checks with
   * its own; the deadline is this much short of the lock's end. Must stay below half the lock.
   * @defaultValue the default of `COUNTD_MAX_CLOCK_SKEW_MS`
   */
  readonly maxClockSkewMs: number;
  /**
   * Per-command timeout on storage nodes; a timed-out apply is retried safely.
   * @defaultValue `WORKER_DEFAULTS.commandTimeoutMs`
   */
  readonly commandTimeoutMs: number;
  /** @defaultValue `WORKER_DEFAULTS.retryMinMs` */
  readonly retryMinMs: number;
  /** @defaultValue `WORKER_DEFAULTS.retryMaxMs` */
  readonly retryMaxMs: number;
  readonly metrics?: WorkerMetrics;
}

/** The options a setting configures: their defaults, and their values in a config, come from it. */
const WORKER_SETTINGS = [
  'queueName',
  'prefix',
  'buckets',
  'rollups',
  'flushIntervalMs',
  'concurrency',
  'maxBufferCounters',
  'maxBufferBytes',
  'maxScriptCounters',
  'flushParallelism',
  'markerTtlSeconds',
  'markerGraceSeconds',
  'publishUpdates',
  'minReplicas',
  'replicaWaitMs',
  'lockDurationMs',
  'maxClockSkewMs',
] as const satisfies ReadonlyArray<DefaultedSetting & keyof CounterWorkerOptions>;

export const WORKER_DEFAULTS = Object.freeze({
  ...pickSettings(SETTING_DEFAULTS, WORKER_SETTINGS),
  // Library-only options (no setting): their one definition.
  publishChunk: 500,
  commandTimeoutMs: 10_000,
  retryMinMs: 50,
  retryMaxMs: 5000,
});

/** What a config decides for every process of a deployment alike: queue, nodes, ring, layout. */
type Topology =
  'queue' | 'queueName' | 'nodes' | 'ring' | 'fleet' | 'prefix' | 'buckets' | 'rollups';

/** The options {@link workerOptionsFromConfig} takes over the config's: tuning, metrics. */
export type WorkerConfigOverrides = Partial<Omit<CounterWorkerOptions, Topology>>;

/**
 * A worker's options from the deployment's config: its queue, the nodes and ring (and the
 * fleet identity that proves every worker uses the same), the layout and the tuning settings;
 * `overrides` replace the config's tuning (library-only options, metrics, ...).
 */
export function workerOptionsFromConfig(
  config: CountdConfig,
  overrides: WorkerConfigOverrides = {},
): Readonly<CounterWorkerOptions> {
  const { ring, fleet } = ringFromConfig(config);
  return resolveWorkerOptions({
    ...pickSettings(config, WORKER_SETTINGS),
    ...stripUndefined(overrides),
    queue: toRedisOptions(requireQueue(config)),
    nodes: nodeConnections(config),
    ring,
    fleet,
  });
}

type Required = 'queue' | 'nodes' | 'ring';

/** Merges defaults, validates and freezes; throws a ConfigError naming the option. */
export function resolveWorkerOptions(
  options: Pick<CounterWorkerOptions, Required> & Partial<Omit<CounterWorkerOptions, Required>>,
): Readonly<CounterWorkerOptions> {
  const merged: CounterWorkerOptions = {
    ...WORKER_DEFAULTS,
    ...stripUndefined(options),
  } as CounterWorkerOptions;
  // Every numeric option, with a setting or not, is a count or a duration: positive (but
  // minReplicas, which may be 0).
  const positive = (Object.keys(WORKER_DEFAULTS) as Array<keyof typeof WORKER_DEFAULTS>).filter(
    (key) => typeof WORKER_DEFAULTS[key] === 'number' && key !== 'minReplicas',
  );
  if (!Number.isSafeInteger(merged.minReplicas) || merged.minReplicas < 0)
    throw new ConfigError('minReplicas', `must be an integer >= 0, got ${merged.minReplicas}`);
  for (const key of positive) {
    const value = merged[key];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      throw new ConfigError(key, `must be a positive integer, got ${String(value)}`);
    }
  }
  assertQueueName(merged.queueName, 'queueName');
  assertKeyPrefix(merged.prefix, 'prefix');
  if (merged.nodes.length === 0)
    throw new ConfigError('nodes', 'at least one storage node is needed');
  const skew = clockSkewMargin(
    options.maxClockSkewMs,
    WORKER_DEFAULTS.maxClockSkewMs,
    merged.lockDurationMs,
  );
  if (typeof skew !== 'number') throw new ConfigError('maxClockSkewMs', skew.problem);
  (merged as { maxClockSkewMs: number }).maxClockSkewMs = skew;
  if (merged.retryMaxMs < merged.retryMinMs)
    throw new ConfigError('retryMaxMs', 'must be >= retryMinMs');
  return Object.freeze(merged);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
