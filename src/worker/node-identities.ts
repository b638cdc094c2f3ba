import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { NodeIdentityError } from '../errors/index.js';
import type { CountdKeys } from '../keys/index.js';
import { readRingState } from '../ring-change/index.js';

/** What an identity refusal turned out to be once the fleet's record was read again. */
export type IdentityRecheck =
  /** The node is the fleet's and holds this worker's version (an operator accepted it): go on. */
  | { readonly kind: 'ok' }
  /** The node is the fleet's, fenced by a change to `version`: this worker's ring is stale. */
  | { readonly kind: 'fenced'; readonly version: number }
  /** The node is the fleet's but not fenced for this worker's version yet: retry. */
  | { readonly kind: 'behind'; readonly version: number }
  | { readonly kind: 'refused'; readonly error: NodeIdentityError };

/**
 * The identities of a fleet's storage nodes. A node is given one when it first joins the fleet
 * (`<fleetId>:<nodeId>:<token>`, written on the node and registered in the queue Redis) and
 * every apply checks it inside the script, so a node that lost its data, another fleet's node
 * or a second server configured under the same id is refused, never written from zero.
 * The queue Redis's record is the reference: only `countd node accept` changes it.
 *
 * Under ring version `v >= 2` a node holds `<identity>#<v>` (docs/ring.md): a ring change
 * rewrites it to fence the workers of older versions, so an apply refused for a node holding a
 * newer version is no identity problem but the sign to follow the ring.
 */
export class NodeIdentities {
  private readonly expected: Array<string | undefined>;
  private readonly refused: boolean[];
  private fleet: string | undefined;

  constructor(
    private readonly queue: Redis,
    private readonly keys: CountdKeys,
    private readonly queueName: string,
    private readonly nodes: ReadonlyArray<{ readonly id: string; readonly redis: Redis }>,
    /** The ring version this worker writes under. */
    private readonly version = 1,
  ) {
    this.expected = nodes.map(() => undefined);
    this.refused = nodes.map(() => false);
  }

  /**
   * Checks (or, for a node new to the fleet, gives) the identity of every node that answers
   * within `waitMs`; throws the first refusal. A node down at start is checked by
   * {@link ensure} before its first apply, so a worker can start while a node is away.
   */
  async verifyAll(waitMs = 2000): Promise<void> {
    const results = await Promise.allSettled(
      this.nodes.map(async (node, n) => {
        if (await connected(node.redis, waitMs)) await this.ensure(n);
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  /** What node `n` must hold for an apply to go ahead: checked once, then kept. */
  async ensure(n: number): Promise<string> {
    const known = this.expected[n];
    if (known !== undefined) return known;
    this.fleet ??= await fleetId(this.queue, this.keys.fleetId(this.queueName));
    await this.verify(n, this.fleet);
    return this.expected[n]!;
  }

  /** False while an apply on node `n` was refused for its identity and no check has cleared it. */
  ok(n: number): boolean {
    return !this.refused[n];
  }

  /**
   * An apply found `found` on node `n` instead of its identity. Reads the fleet's record again:
   * the node may be fenced by a newer ring version, or not fenced for this one yet, or an
   * operator may have accepted a replaced node (applies then go on with it). Otherwise the node
   * stays refused and the error says why.
   */
  async recheck(n: number, found: string): Promise<IdentityRecheck> {
    const node = this.nodes[n]!;
    const registered = await this.queue.hget(this.keys.fleetNodes(this.queueName), node.id);
    const held = splitIdentity(found);
    if (registered !== null && registered === held.base) {
      if (held.version > this.version) return { kind: 'fenced', version: held.version };
      if (held.version < this.version) return { kind: 'behind', version: held.version };
      this.expected[n] = found;
      this.refused[n] = false;
      return { kind: 'ok' };
    }
    this.refused[n] = true;
    return {
      kind: 'refused',
      error: new NodeIdentityError(
        node.id,
        found === '' ? 'missing' : 'foreign',
        registered ?? undefined,
        found === '' ? undefined : found,
      ),
    };
  }

  private async verify(n: number, fleet: string): Promise<void> {
    const node = this.nodes[n]!;
    const table = this.keys.fleetNodes(this.queueName);
    const key = this.keys.nodeIdentity();
    let registered = await this.queue.hget(table, node.id);
    let onNode = await node.redis.get(key);
    // Under a later version the change gave every node its identity before the ring record
    // named it: a node the fleet does not know is not given one here.
    if (registered === null && this.version === 1) {
      if (onNode !== null && !belongsTo(onNode, fleet, node.id)) {
        throw new NodeIdentityError(node.id, 'foreign', undefined, onNode);
      }
      if (onNode === null) {
        // New to the fleet. Write the node first, then register what it holds: of two workers
        // that reach two servers for one id at once, one registration wins and the other sees
        // that its server is not the registered one.
        const fresh = `${fleet}:${node.id}:${randomBytes(9).toString('base64url')}`;
        await node.redis.set(key, fresh, 'NX');
        onNode = await node.redis.get(key);
        if (onNode === null || !belongsTo(onNode, fleet, node.id))
          throw new NodeIdentityError(node.id, 'foreign', undefined, onNode ?? undefined);
      }
      await this.queue.hsetnx(table, node.id, onNode);
      registered = await this.queue.hget(table, node.id);
    }
    // Which version the node is fenced for is not checked here: the apply compares the whole
    // identity atomically, and a refusal for another version is followed (see recheck).
    const base = onNode === null ? null : splitIdentity(onNode).base;
    if (registered !== null && registered === base) {
      this.expected[n] = versionedIdentity(registered, this.version);
      return;
    }
    this.refused[n] = true;
    if (onNode === null || base === null)
      throw new NodeIdentityError(node.id, 'missing', registered ?? undefined, undefined);
    if (belongsTo(base, fleet, node.id))
      throw new NodeIdentityError(node.id, 'claimed', registered ?? undefined, onNode);
    throw new NodeIdentityError(node.id, 'foreign', registered ?? undefined, onNode);
  }
}

/** What a node of the fleet holds under ring `version`: the bare identity under version 1. */
export function versionedIdentity(identity: string, version: number): string {
  return version === 1 ? identity : `${identity}#${version}`;
}

/** The registered identity and the ring version in what a node holds (`#` never occurs in ids). */
function splitIdentity(held: string): { base: string; version: number } {
  const hash = held.lastIndexOf('#');
  if (hash === -1) return { base: held, version: 1 };
  const version = Number(held.slice(hash + 1));
  return Number.isSafeInteger(version) && version >= 2
    ? { base: held.slice(0, hash), version }
    : { base: held, version: 1 };
}

async function connected(redis: Redis, waitMs: number): Promise<boolean> {
  if (redis.status === 'ready') return true;
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => done(false), waitMs);
    const onReady = () => done(true);
    function done(ok: boolean) {
      clearTimeout(timer);
      redis.off('ready', onReady);
      resolve(ok);
    }
    redis.on('ready', onReady);
  });
}

/** The fleet's id, drawn by the first worker of the queue and kept in the queue Redis. */
async function fleetId(queue: Redis, key: string): Promise<string> {
  await queue.set(key, randomBytes(8).toString('hex'), 'NX');
  const id = await queue.get(key);
  if (id === null) throw new Error(`${key} vanished right after it was set`);
  return id;
}

function belongsTo(identity: string, fleet: string, node: string): boolean {
  return identity.startsWith(`${fleet}:${node}:`);
}

/** What `countd node accept` did: the identity the node held before and the one it holds now. */
export interface AcceptedNode {
  readonly node: string;
  readonly previous: string | undefined;
  readonly registered: string | undefined;
  readonly identity: string;
}

/**
 * Accepts the server now answering for node `nodeId` as the fleet's node of that id (a node
 * replaced on purpose, or restarted empty and to be counted from what it holds): gives it a new
 * identity and registers it, so running workers take it at their next apply. A server holding
 * another fleet's identity is refused unless `force`: it may be in use by that fleet.
 */
export async function acceptNode(
  queue: Redis,
  node: Redis,
  keys: CountdKeys,
  queueName: string,
  nodeId: string,
  options: { readonly force?: boolean } = {},
): Promise<AcceptedNode> {
  const fleet = await fleetId(queue, keys.fleetId(queueName));
  const previous = (await node.get(keys.nodeIdentity())) ?? undefined;
  if (previous !== undefined && !previous.startsWith(`${fleet}:`) && options.force !== true) {
    throw new NodeIdentityError(nodeId, 'foreign', undefined, previous);
  }
  const registered = (await queue.hget(keys.fleetNodes(queueName), nodeId)) ?? undefined;
  const identity = `${fleet}:${nodeId}:${randomBytes(9).toString('base64url')}`;
  // The node holds the version its workers write under (the change's target while one runs, so
  // an accepted node is fenced like the others); the fleet's record keeps the bare identity.
  const state = await readRingState(queue, keys, queueName);
  const version = state.change?.to.version ?? state.ring?.version ?? 1;
  await node.set(keys.nodeIdentity(), versionedIdentity(identity, version));
  await queue.hset(keys.fleetNodes(queueName), nodeId, identity);
  return { node: nodeId, previous, registered, identity };
}
