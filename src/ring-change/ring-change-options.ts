import type { Redis } from 'ioredis';
import { SETTING_DEFAULTS } from '../config/setting-defaults.js';
import { ConfigError } from '../errors/index.js';
import type { RegisteredNode } from './ring-record.js';

/** How a ring change runner reaches the fleet and paces itself. */
export interface RingChangeRunnerOptions {
  /** The queue Redis (not closed by the runner). */
  readonly queue: Redis;
  readonly queueName: string;
  /** A client for a node of either version; the caller adds credentials. The runner does not close them. */
  readonly connect: (node: RegisteredNode) => Redis;
  /**
   * Fields per move script: bounds how long one script holds a node.
   * @defaultValue 1000
   */
  readonly batchSize?: number;
  /**
   * Batches of one source node moving at once: a batch waits for its move-ins, then its
   * move-out, so with one in flight each node idles between round trips.
   * @defaultValue 4
   */
  readonly batchesInFlight?: number;
  /**
   * Most counters (fields) moved per second, over the whole change; 0: as fast as the nodes
   * take them. Bounds the load a change adds to production nodes.
   * @defaultValue 0
   */
  readonly maxMoveRate?: number;
  /**
   * Length of the runner's lease on the change (renewed every third of it): how long a runner
   * killed mid-change keeps a new one waiting.
   * @defaultValue 10000
   */
  readonly leaseMs?: number;
  /**
   * A runner that finds the lease held waits for it (true) or fails with a
   * RingChangeConflictError `runner-busy` naming the holder (false).
   * @defaultValue true
   */
  readonly waitForRunner?: boolean;
  /**
   * Replicas of a target node that must acknowledge (`WAIT`) each move-in before its fields are
   * deleted from their old node; 0: none.
   * @defaultValue COUNTD_MIN_REPLICAS's default
   */
  readonly minReplicas?: number;
  /** @defaultValue COUNTD_REPLICA_WAIT_MS's default */
  readonly replicaWaitMs?: number;
  /**
   * How often settling looks at the jobs snapshot.
   * @defaultValue 500
   */
  readonly settlePollMs?: number;
  /**
   * BullMQ key prefix of the queue.
   * @defaultValue 'bull'
   */
  readonly bullPrefix?: string;
}

export type ResolvedRingChangeOptions = Required<RingChangeRunnerOptions>;

/** Library-only options' one definition; the replica settings come from the settings table. */
export const RING_CHANGE_DEFAULTS = Object.freeze({
  batchSize: 1000,
  batchesInFlight: 4,
  maxMoveRate: 0,
  leaseMs: 10_000,
  waitForRunner: true,
  minReplicas: SETTING_DEFAULTS.minReplicas,
  replicaWaitMs: SETTING_DEFAULTS.replicaWaitMs,
  settlePollMs: 500,
  bullPrefix: 'bull',
});

/** Merges the defaults in and validates; throws a ConfigError naming the option. */
export function resolveRingChangeOptions(
  options: RingChangeRunnerOptions,
): ResolvedRingChangeOptions {
  const defined = Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as Partial<RingChangeRunnerOptions>;
  const merged = { ...RING_CHANGE_DEFAULTS, ...defined } as ResolvedRingChangeOptions;
  const check = (name: keyof typeof RING_CHANGE_DEFAULTS, min: number) => {
    const value = merged[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min)
      throw new ConfigError(name, `${String(value)} must be an integer >= ${min}`);
  };
  check('batchSize', 1);
  check('batchesInFlight', 1);
  check('maxMoveRate', 0);
  check('leaseMs', 100);
  if (typeof merged.waitForRunner !== 'boolean')
    throw new ConfigError('waitForRunner', 'must be true or false');
  check('minReplicas', 0);
  check('replicaWaitMs', 1);
  check('settlePollMs', 1);
  if (typeof merged.bullPrefix !== 'string' || merged.bullPrefix === '')
    throw new ConfigError('bullPrefix', 'must be a non-empty string');
  if (typeof merged.connect !== 'function') throw new ConfigError('connect', 'must be a function');
  return Object.freeze(merged);
}
