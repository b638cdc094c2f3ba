import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { RedisOptions } from 'ioredis';
import {
  SETTING_DEFAULTS,
  requireQueue,
  toRedisOptions,
  type CountdConfig,
} from '../config/index.js';
import { ConfigError } from '../errors/index.js';
import { MAX_JOB_PAIRS, type PayloadVersion } from '../jobs/index.js';
import type { ProducerMetrics } from '../metrics/index.js';
import { assertQueueName } from '../validation/index.js';

/** Options of {@link Producer}. */
export interface ProducerOptions {
  /** Queue Redis connection. */
  readonly queue: RedisOptions;
  /** BullMQ queue name. @defaultValue the default of `COUNTD_QUEUE_NAME` */
  readonly queueName: string;
  /**
   * Unique per producer instance; job ids are `<producerId>-<seq>`. Two live producers must
   * never share one, or their jobs would be taken for retries of each other.
   * @defaultValue `<hostname>-<pid>-<random>`
   */
  readonly producerId: string;
  /**
   * Longest time an increment waits in memory before its batch is sent.
   * @defaultValue `PRODUCER_DEFAULTS.lingerMs`
   */
  readonly lingerMs: number;
  /**
   * Distinct counters per job. 2000 rather than 1000 halves the per-job costs (BullMQ add,
   * fetch, completion, queue Redis): measured end to end on a Zipf 1.1 stream over 1M
   * counters, worker CPU per increment 0.85-0.92 us instead of 0.95-1.15, queue Redis 0.10
   * instead of 0.14-0.18, HINCRBYs per increment unchanged (docs/performance.md).
   * @defaultValue `PRODUCER_DEFAULTS.maxBatch`
   */
  readonly maxBatch: number;
  /**
   * Increments accepted but not yet confirmed by the queue; beyond it `increment` rejects.
   * @defaultValue `PRODUCER_DEFAULTS.maxPendingIncrements`
   */
  readonly maxPendingIncrements: number;
  /** Batches being added to the queue at once. @defaultValue `PRODUCER_DEFAULTS.maxInFlight` */
  readonly maxInFlight: number;
  /** One `add` attempt's timeout. @defaultValue `PRODUCER_DEFAULTS.attemptTimeoutMs` */
  readonly attemptTimeoutMs: number;
  /**
   * Total time a batch may take to be confirmed, retries included.
   * @defaultValue `PRODUCER_DEFAULTS.deadlineMs`
   */
  readonly deadlineMs: number;
  /**
   * Replicas of the queue Redis that must acknowledge a job's add (`WAIT`) before its
   * increments are confirmed; 0: the primary's reply suffices.
   * @defaultValue the default of `COUNTD_MIN_REPLICAS`
   */
  readonly minReplicas: number;
  /** Longest one `WAIT` blocks. @defaultValue the default of `COUNTD_REPLICA_WAIT_MS` */
  readonly replicaWaitMs: number;
  /** Failed jobs BullMQ keeps (with their reason). @defaultValue `PRODUCER_DEFAULTS.keepFailedJobs` */
  readonly keepFailedJobs: number;
  /**
   * The job payload version written: 1, 2 (every batch), or `'auto'`: 2 for a batch holding
   * increments of other minutes while every BullMQ worker of the queue is a countd worker
   * registered as reading version 2 (counted again every `payloadCensusIntervalMs`), else 1
   * (docs/series.md). @defaultValue `'auto'`
   */
  readonly payloadVersion: PayloadVersion | 'auto';
  /** @defaultValue `PRODUCER_DEFAULTS.payloadCensusIntervalMs` (10 s) */
  readonly payloadCensusIntervalMs: number;
  readonly metrics?: ProducerMetrics;
}

export const PRODUCER_DEFAULTS = Object.freeze({
  queueName: SETTING_DEFAULTS.queueName,
  minReplicas: SETTING_DEFAULTS.minReplicas,
  replicaWaitMs: SETTING_DEFAULTS.replicaWaitMs,
  // Library-only options (no setting): their one definition.
  lingerMs: 10,
  maxBatch: 2000,
  maxPendingIncrements: 1_000_000,
  maxInFlight: 16,
  attemptTimeoutMs: 5000,
  deadlineMs: 30_000,
  keepFailedJobs: 10_000,
  payloadVersion: 'auto' as PayloadVersion | 'auto',
  payloadCensusIntervalMs: 10_000,
});

/** What the constructor takes: `queue`, the rest optional. */
export type ProducerInput = Pick<ProducerOptions, 'queue'> &
  Partial<Omit<ProducerOptions, 'queue'>>;

/** The options {@link producerOptionsFromConfig} takes over the config's: batching, timeouts, metrics. */
export type ProducerConfigOverrides = Partial<Omit<ProducerOptions, 'queue' | 'queueName'>>;

/** Producer options a deployment's settings decide. */

/**
 * A producer's options from the deployment's config (its queue Redis and queue name, the very
 * ones the workers consume); `overrides` set the rest.
 */
export function producerOptionsFromConfig(
  config: CountdConfig,
  overrides: ProducerConfigOverrides = {},
): ProducerInput {
  return {
    ...overrides,
    minReplicas: config.minReplicas,
    replicaWaitMs: config.replicaWaitMs,
    ...overrides,
    queue: toRedisOptions(requireQueue(config)),
    queueName: config.queueName,
  };
}

/** Merges defaults, validates and freezes; throws a ConfigError naming the option. */
export function resolveProducerOptions(options: ProducerInput): Readonly<ProducerOptions> {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const merged = {
    ...PRODUCER_DEFAULTS,
    producerId: `${hostname().replace(/[^A-Za-z0-9_.-]/g, '_')}-${process.pid}-${randomBytes(4).toString('hex')}`,
    ...defined,
  } as ProducerOptions;
  if (![1, 2, 'auto'].includes(merged.payloadVersion))
    throw new ConfigError(
      'payloadVersion',
      `must be 1, 2 or 'auto', got ${JSON.stringify(merged.payloadVersion)}`,
    );
  const ranges: Array<[Exclude<keyof typeof PRODUCER_DEFAULTS, 'payloadVersion'>, number, number]> =
    [
      ['lingerMs', 0, 60_000],
      ['maxBatch', 1, MAX_JOB_PAIRS],
      ['maxPendingIncrements', 1, Number.MAX_SAFE_INTEGER],
      ['maxInFlight', 1, 10_000],
      ['attemptTimeoutMs', 1, 3_600_000],
      ['deadlineMs', 1, 86_400_000],
      ['keepFailedJobs', 0, 10_000_000],
      ['minReplicas', 0, 64],
      ['replicaWaitMs', 1, 60_000],
      ['payloadCensusIntervalMs', 100, 3_600_000],
    ];
  for (const [key, min, max] of ranges) {
    const value = merged[key];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new ConfigError(key, `must be an integer from ${min} to ${max}, got ${String(value)}`);
    }
  }
  assertQueueName(merged.queueName, 'queueName');
  if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(merged.producerId)) {
    throw new ConfigError(
      'producerId',
      `"${merged.producerId}" must be 1-128 characters of [A-Za-z0-9_.:-]`,
    );
  }
  return Object.freeze(merged);
}
