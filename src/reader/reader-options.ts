import type { RedisOptions } from 'ioredis';
import {
  SETTING_DEFAULTS,
  pickSettings,
  toRedisOptions,
  validateNodeId,
  type CountdConfig,
} from '../config/index.js';
import { nodeConnections, ringFromConfig } from '../config/ring-from-config.js';
import { ConfigError } from '../errors/index.js';
import type { NodeLocator } from '../storage/index.js';
import { assertKeyPrefix } from '../validation/index.js';
import type { ValueMode } from './counter-value.js';
import { isGranularity, type Rollups } from '../rollups/index.js';

/** One storage node as the reader reaches it. */
export interface ReaderNode {
  /** The id the ring returns for the counters this node stores. */
  readonly id: string;
  /** ioredis connection options (host, port, password, tls, ...). */
  readonly connection: RedisOptions;
}

/**
 * Where the fleet's registered ring is kept: the queue Redis and the queue's name. A reader
 * with it follows the ring version (docs/ring.md, "Reads during a change").
 */
export interface FleetLink {
  /** ioredis options of the queue Redis (`COUNTD_QUEUE_URL`). */
  readonly queue: RedisOptions;
  /** The BullMQ queue name (`COUNTD_QUEUE_NAME`): the fleet's keys are named after it. */
  readonly queueName: string;
}

/** Options of {@link CounterReader}. */
export interface CounterReaderOptions<M extends ValueMode = 'number'> {
  /** Storage nodes, in any order; every id the ring returns must be here. */
  readonly nodes: readonly ReaderNode[];
  /** Maps a counter name to a node id: the same ring the workers use (a `HashRing`). */
  readonly ring: NodeLocator;
  /** Storage key prefix, as the workers'. @defaultValue the default of `COUNTD_PREFIX` */
  readonly prefix: string;
  /** Hashes per node, as the workers'. @defaultValue the default of `COUNTD_BUCKETS` */
  readonly buckets: number;
  /**
   * How values are returned by every method (`get`, `getMany`, `list`, `listAll`, `watch`):
   * `'number'`, where a value outside ±(2^53-1) throws `UnsafeCounterValueError` instead of
   * being rounded, or `'bigint'`, exact over the whole signed 64-bit range.
   * @defaultValue `'number'`
   */
  readonly values: M;
  /** Time to establish a connection to a node. @defaultValue `READER_DEFAULTS.connectTimeoutMs` */
  readonly connectTimeoutMs: number;
  /**
   * Time a command may take, connecting included; a node that is down fails reads after at
   * most this long instead of queueing them. @defaultValue `READER_DEFAULTS.commandTimeoutMs`
   */
  readonly commandTimeoutMs: number;
  /**
   * `set` and `reset` publish the new value on the node's updates channel, in the same
   * transaction, so watchers see them like flushes. @defaultValue `READER_DEFAULTS.publishWrites`
   */
  readonly publishWrites: boolean;
  /**
   * Follow the fleet's ring: the nodes and ring come from the registered ring record (`nodes`
   * give the connections of the ids they name, and their first node's credentials are used for
   * the others), every read checks the ring epoch and reads correctly during a ring change.
   * Without it, `nodes` and `ring` are used as given. `fromConfig` sets it when the config has
   * a queue URL. @defaultValue none
   */
  readonly fleet?: FleetLink | undefined;
  /**
   * With `fleet`, how often open watches check the ring epoch, to subscribe to nodes a change
   * adds and drop the ones it removed. @defaultValue `READER_DEFAULTS.ringPollMs`
   */
  readonly ringPollMs: number;
  /**
   * The rollups the workers keep (`COUNTD_ROLLUPS`): the steps `getSeries` may read. With
   * `fleet`, those of the registered ring record when it names them. `fromConfig` sets it.
   * @defaultValue the default of `COUNTD_ROLLUPS` (none)
   */
  readonly rollups: Rollups;
}

/** What the constructor takes: `nodes` and `ring`, the rest optional. */
export type CounterReaderInput<M extends ValueMode = 'number'> = Pick<
  CounterReaderOptions<M>,
  'nodes' | 'ring'
> &
  Partial<Omit<CounterReaderOptions<M>, 'nodes' | 'ring'>>;

/** What a config decides for every process of a deployment alike: nodes, ring, layout, fleet. */
type Topology = 'nodes' | 'ring' | 'prefix' | 'buckets' | 'fleet' | 'rollups';

/** The options {@link readerOptionsFromConfig} takes over the config's: value mode, timeouts. */
export type ReaderConfigOverrides<M extends ValueMode = 'number'> = Partial<
  Omit<CounterReaderOptions<M>, Topology>
>;

/**
 * A reader's options from the deployment's config: the very nodes, ring, prefix and buckets
 * the workers use (`ringFromConfig`), so it reads where they write; `overrides` set the rest.
 */
export function readerOptionsFromConfig<M extends ValueMode = 'number'>(
  config: CountdConfig,
  overrides: ReaderConfigOverrides<M> = {},
): CounterReaderInput<M> {
  return {
    ...overrides,
    nodes: nodeConnections(config),
    ring: ringFromConfig(config).ring,
    prefix: config.prefix,
    buckets: config.buckets,
    rollups: config.rollups,
    ...(config.queue === undefined
      ? {}
      : { fleet: { queue: toRedisOptions(config.queue), queueName: config.queueName } }),
  };
}

export const READER_DEFAULTS = Object.freeze({
  ...pickSettings(SETTING_DEFAULTS, ['prefix', 'buckets', 'rollups'] as const),
  // Library-only options (no setting): their one definition.
  values: 'number' as const,
  connectTimeoutMs: 3000,
  commandTimeoutMs: 5000,
  publishWrites: true,
  // As often as workers poll it (docs/ring.md, "Workers").
  ringPollMs: 1000,
});

/** Merges defaults, validates and freezes; throws a {@link ConfigError} naming the option. */
export function resolveReaderOptions<M extends ValueMode>(
  input: CounterReaderInput<M>,
): Readonly<CounterReaderOptions<M>> {
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  const merged = { ...READER_DEFAULTS, ...defined } as CounterReaderOptions<M>;
  if (!Array.isArray(merged.nodes) || merged.nodes.length === 0) {
    throw new ConfigError('nodes', 'at least one storage node is needed');
  }
  const ids = new Set<string>();
  for (const node of merged.nodes) {
    validateNodeId(node.id, 'nodes');
    if (ids.has(node.id)) throw new ConfigError('nodes', `node id "${node.id}" appears twice`);
    ids.add(node.id);
  }
  if (typeof merged.ring?.locate !== 'function') {
    throw new ConfigError('ring', 'must have a locate(name) method (a HashRing)');
  }
  // A HashRing lists its nodes: a node missing here would fail every read of its counters.
  const ringNodes = (merged.ring as { nodes?: unknown }).nodes;
  if (Array.isArray(ringNodes)) {
    for (const node of ringNodes as Array<{ id?: unknown }>) {
      if (typeof node.id === 'string' && !ids.has(node.id)) {
        throw new ConfigError('nodes', `the ring has node "${node.id}", which is not in nodes`);
      }
    }
  }
  assertKeyPrefix(merged.prefix, 'prefix');
  if (merged.values !== 'number' && merged.values !== 'bigint') {
    throw new ConfigError('values', `"${String(merged.values)}" is not 'number' or 'bigint'`);
  }
  const fleet = merged.fleet;
  if (fleet !== undefined) {
    if (typeof fleet !== 'object' || fleet === null || typeof fleet.queue !== 'object')
      throw new ConfigError('fleet', 'must be { queue: RedisOptions, queueName: string }');
    if (typeof fleet.queueName !== 'string' || fleet.queueName === '')
      throw new ConfigError('fleet.queueName', 'must be a non-empty string');
  }
  for (const key of ['buckets', 'connectTimeoutMs', 'commandTimeoutMs', 'ringPollMs'] as const) {
    const value = merged[key];
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new ConfigError(key, `must be a positive integer, got ${String(value)}`);
    }
  }
  if (
    !Array.isArray(merged.rollups) ||
    !merged.rollups.every((r: unknown) =>
      isGranularity((r as { granularity?: unknown })?.granularity),
    )
  ) {
    throw new ConfigError('rollups', 'must be a list of rollups (parseRollups of COUNTD_ROLLUPS)');
  }
  if (typeof merged.publishWrites !== 'boolean') {
    throw new ConfigError('publishWrites', 'must be a boolean');
  }
  return Object.freeze({
    ...merged,
    nodes: Object.freeze(merged.nodes.map((node) => Object.freeze({ ...node }))),
    ...(fleet === undefined ? {} : { fleet: Object.freeze({ ...fleet }) }),
  });
}
