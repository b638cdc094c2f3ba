/**
 * A fleet as workers leave it, written directly: a registered ring record (version 1), the
 * fleet id, node identities on the nodes and in the fleet's table (as NodeIdentities gives
 * them), and counters HINCRBY'd where the layout puts them. Server 0 of the harness is the
 * queue Redis, servers 1.. are nodes `a`, `b`, `c`, `d`, … in order.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { CountdKeys } from '../../src/keys/index.js';
import {
  layoutOf,
  ringRecord,
  type RegisteredNode,
  type RingRecord,
} from '../../src/ring-change/index.js';
import type { RedisServers } from '../support/redis-harness.js';

export const NODE_NAMES = ['a', 'b', 'c', 'd', 'e'] as const;

export interface Fleet {
  readonly queueName: string;
  readonly prefix: string;
  readonly queue: Redis;
  readonly keys: CountdKeys;
  readonly ring: RingRecord;
  /** Every seeded counter and its value. */
  readonly expected: ReadonlyMap<string, bigint>;
  /** A client per node id (one per node, for the runner's `connect`). */
  connect(node: RegisteredNode): Redis;
  /** The registered node `id` as a ring record holds it (for adding it). */
  node(id: string, weight?: number): { id: string; weight: number; url: string };
  /** Where every counter is now: name -> list of {node, key, value} (one entry when sound). */
  stored(): Promise<Map<string, Array<{ node: string; key: string; value: bigint }>>>;
  /** Keys matching `<prefix>:<pattern>` on node `id`. */
  keysOn(id: string, pattern: string): Promise<string[]>;
  identity(id: string): Promise<string | null>;
}

export interface FleetOptions {
  readonly nodes?: readonly string[];
  readonly counters?: number;
  readonly buckets?: number;
  readonly weights?: Readonly<Record<string, number>>;
}

export async function seedFleet(redis: RedisServers, options: FleetOptions = {}): Promise<Fleet> {
  const tag = randomBytes(4).toString('hex');
  const queueName = `rc-${tag}`;
  const prefix = `test:rc:${tag}`;
  const keys = new CountdKeys(prefix);
  const queue = redis.server(0).client();
  const serverOf = (id: string) => redis.server(1 + NODE_NAMES.indexOf(id as 'a'));
  const clients = new Map<string, Redis>();
  const client = (id: string): Redis => {
    let c = clients.get(id);
    if (c === undefined) clients.set(id, (c = serverOf(id).client()));
    return c;
  };
  const url = (id: string) => `redis://${serverOf(id).host}:${serverOf(id).port}`;
  const ids = options.nodes ?? ['a', 'b', 'c'];
  const ring = ringRecord({
    version: 1,
    algorithm: 'ketama',
    buckets: options.buckets ?? 64,
    prefix,
    nodes: ids.map((id) => ({ id, weight: options.weights?.[id] ?? 1, url: url(id) })),
  });
  const fleet = randomBytes(8).toString('hex');
  await queue.set(keys.fleetRing(queueName), JSON.stringify(ring));
  await queue.set(keys.fleetId(queueName), fleet);
  for (const id of ids) {
    const identity = `${fleet}:${id}:${randomBytes(9).toString('base64url')}`;
    await client(id).set(keys.nodeIdentity(), identity);
    await queue.hset(keys.fleetNodes(queueName), id, identity);
  }
  const layout = layoutOf(ring);
  const expected = new Map<string, bigint>();
  const pipelines = new Map(ids.map((id) => [id, client(id).pipeline()]));
  for (let i = 0; i < (options.counters ?? 0); i++) {
    const name = `c:${tag}:${i}`;
    // Mixed signs and a few values past 2^53, as counters of online users and big sums have.
    const value =
      i % 97 === 0 ? 9_007_199_254_740_993n + BigInt(i) : BigInt(i % 5 === 0 ? -i : i + 1);
    const at = layout.locate(name);
    pipelines.get(at.node)!.hincrby(at.key, at.field, value.toString());
    expected.set(name, value);
  }
  await Promise.all([...pipelines.values()].map((p) => p.exec()));

  const keysOn = async (id: string, pattern: string): Promise<string[]> => {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await client(id).scan(
        cursor,
        'MATCH',
        `${prefix}:${pattern}`,
        'COUNT',
        1000,
      );
      cursor = next;
      found.push(...batch);
    } while (cursor !== '0');
    return found;
  };
  return {
    queueName,
    prefix,
    queue,
    keys,
    ring,
    expected,
    connect: (node) => client(node.id),
    node: (id, weight = 1) => ({ id, weight, url: url(id) }),
    keysOn,
    identity: (id) => client(id).get(keys.nodeIdentity()),
    async stored() {
      const out = new Map<string, Array<{ node: string; key: string; value: bigint }>>();
      for (const id of NODE_NAMES.slice(0, redis.servers.length - 1)) {
        for (const key of await keysOn(id, 't:*')) {
          const all = await client(id).hgetall(key);
          for (const [field, value] of Object.entries(all)) {
            let list = out.get(field);
            if (list === undefined) out.set(field, (list = []));
            list.push({ node: id, key, value: BigInt(value) });
          }
        }
      }
      return out;
    },
  };
}

/** Checks every counter is once, at its location under `to`, with its seeded value. */
export async function misplaced(fleet: Fleet, to: RingRecord): Promise<string[]> {
  const layout = layoutOf(to);
  const stored = await fleet.stored();
  const problems: string[] = [];
  for (const [name, value] of fleet.expected) {
    const at = layout.locate(name);
    const found = stored.get(name) ?? [];
    if (
      found.length !== 1 ||
      found[0]!.node !== at.node ||
      found[0]!.key !== at.key ||
      found[0]!.value !== value
    )
      problems.push(
        `${name}: want ${value} at ${at.node} ${at.key}, found ${JSON.stringify(found, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`,
      );
  }
  for (const name of stored.keys())
    if (!fleet.expected.has(name)) problems.push(`${name}: not seeded`);
  return problems;
}
