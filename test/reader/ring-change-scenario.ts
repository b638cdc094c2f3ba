import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { parseConfig, type CountdConfig } from '../../src/config/index.js';
import { CountdKeys } from '../../src/keys/index.js';
import {
  ChangePlacement,
  layoutOf,
  ringRecord,
  type RingChangePhase,
  type RingChangeRecord,
  type RingRecord,
} from '../../src/ring-change/index.js';
import type { StorageLayout } from '../../src/storage/index.js';
import { uniquePrefix, type RedisServers } from '../support/redis-harness.js';

/** Server 0 holds the queue; then the storage nodes, in this order. */
export const NODE_IDS = ['a', 'b', 'c', 'd'] as const;
export const BUCKETS = 16;

// The fold as move-in.lua does it for one field: flag first, and the old value added only when
// the flag was not set yet, atomically (a reader between the two would see the flag alone).
const FOLD = `if redis.call('HSETNX', KEYS[2], ARGV[1], '1') == 1 then
  redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2]) end return 0`;

/**
 * One fleet on the suite's servers, with its own prefix and queue name: ring v1 on a, b, c,
 * and the change to v2 (d added) carried out by hand, step by step as docs/ring.md has it.
 * `issued` is what every counter should total, updated before each write lands.
 */
export class RingChangeScenario {
  readonly prefix = uniquePrefix('reader-ring');
  readonly queueName = `q-${randomBytes(4).toString('hex')}`;
  readonly keys = new CountdKeys(this.prefix);
  readonly v1: RingRecord;
  readonly v2: RingRecord;
  readonly from: StorageLayout;
  readonly to: StorageLayout;
  readonly placement: ChangePlacement;
  readonly issued = new Map<string, number>();
  private change: RingChangeRecord;
  // One connection per server (each client() call opens another; the harness closes them).
  private readonly connections = new Map<string, Redis>();

  constructor(private readonly redis: RedisServers) {
    const nodes = (ids: readonly string[]) =>
      ids.map((id) => ({ id, weight: 1, url: this.server(id).url }));
    const base = { algorithm: 'ketama' as const, buckets: BUCKETS, prefix: this.prefix };
    this.v1 = ringRecord({ ...base, version: 1, nodes: nodes(['a', 'b', 'c']) });
    this.v2 = ringRecord({ ...base, version: 2, nodes: nodes(NODE_IDS) });
    this.from = layoutOf(this.v1);
    this.to = layoutOf(this.v2);
    const now = Date.now();
    this.change = {
      kind: 'add',
      from: this.v1,
      to: this.v2,
      phase: 'fencing',
      startedAt: now,
      updatedAt: now,
      moved: 0,
      toMove: null,
    };
    this.placement = new ChangePlacement(this.change);
  }

  get queue(): Redis {
    return this.connection('queue', 0);
  }

  node(id: string): Redis {
    return this.connection(id, 1 + NODE_IDS.indexOf(id as (typeof NODE_IDS)[number]));
  }

  /** The env of a process of this fleet, with `nodeIds` as COUNTD_NODES. */
  env(nodeIds: readonly string[] = ['a', 'b', 'c']): Record<string, string> {
    return {
      COUNTD_QUEUE_URL: this.redis.server(0).url,
      COUNTD_QUEUE_NAME: this.queueName,
      COUNTD_NODES: nodeIds.map((id) => `${id}=${this.server(id).url}`).join(','),
      COUNTD_PREFIX: this.prefix,
      COUNTD_BUCKETS: String(BUCKETS),
    };
  }

  /** The config of a process of this fleet, with `nodeIds` as COUNTD_NODES. */
  config(nodeIds?: readonly string[]): CountdConfig {
    return parseConfig(this.env(nodeIds));
  }

  /** Counters whose node differs between v1 and v2. */
  split(names: Iterable<string>): string[] {
    return [...names].filter((name) => this.placement.locate(name).previous !== undefined);
  }

  /** A write as a worker of `layout`'s version applies it: HINCRBY where that version puts it. */
  async increment(name: string, by: number, layout: StorageLayout, publish = false): Promise<void> {
    this.issued.set(name, (this.issued.get(name) ?? 0) + by);
    const { node, key, field } = layout.locate(name);
    const value = await this.node(node).hincrby(key, field, by);
    if (publish) await this.node(node).publish(this.keys.updatesChannel(), `${name}\t${value}`);
  }

  /** Registers ring v1 as the first worker does (the epoch is left unset, as 0.1.0 left it). */
  async registerV1(): Promise<void> {
    await this.queue.set(this.keys.fleetRing(this.queueName), JSON.stringify(this.v1));
  }

  /** The change record in phase fencing (identities are not needed by readers). */
  async fence(): Promise<void> {
    await this.queue
      .multi()
      .set(this.keys.ringChange(this.queueName), JSON.stringify(this.change))
      .incr(this.keys.ringEpoch(this.queueName))
      .exec();
  }

  /** Fencing done: in one MULTI the ring becomes v2, the phase moving, the epoch moves on. */
  async startMoving(): Promise<void> {
    await this.queue
      .multi()
      .set(this.keys.fleetRing(this.queueName), JSON.stringify(this.v2))
      .set(this.keys.ringChange(this.queueName), this.record('moving'))
      .incr(this.keys.ringEpoch(this.queueName))
      .exec();
  }

  /** Folds one counter into its v2 location, then deletes it from v1 (a no-op if not split). */
  async move(name: string): Promise<void> {
    const { current, previous, movedKey } = this.placement.locate(name);
    if (previous === undefined) return;
    const old = this.node(previous.node);
    const value = await old.hget(previous.key, previous.field);
    if (value === null) return;
    await this.node(current.node).eval(FOLD, 2, current.key, movedKey, name, value);
    await old.hdel(previous.key, previous.field);
  }

  /** Settling, then cleanup: flags deleted on every v2 node, the change record, epoch+1. */
  async finish(): Promise<void> {
    await this.queue
      .multi()
      .set(this.keys.ringChange(this.queueName), this.record('settling'))
      .incr(this.keys.ringEpoch(this.queueName))
      .exec();
    await this.queue
      .multi()
      .set(this.keys.ringChange(this.queueName), this.record('cleanup'))
      .incr(this.keys.ringEpoch(this.queueName))
      .exec();
    for (const id of NODE_IDS) {
      const flags = Array.from({ length: BUCKETS }, (_, b) => this.keys.movedIn(2, b));
      await this.node(id).del(...flags);
    }
    await this.queue
      .multi()
      .del(this.keys.ringChange(this.queueName))
      .incr(this.keys.ringEpoch(this.queueName))
      .exec();
  }

  private record(phase: RingChangePhase): string {
    return JSON.stringify({ ...this.change, phase, updatedAt: Date.now() });
  }

  private connection(name: string, index: number): Redis {
    let redis = this.connections.get(name);
    if (redis === undefined)
      this.connections.set(name, (redis = this.redis.server(index).client()));
    return redis;
  }

  private server(id: string) {
    return this.redis.server(1 + NODE_IDS.indexOf(id as (typeof NODE_IDS)[number]));
  }
}
