import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { ConfigError, NodeIdentityError } from '../errors/index.js';
import type { CountdKeys } from '../keys/index.js';

const FENCE_SCRIPT = readFileSync(new URL('../scripts/fence-node.lua', import.meta.url), 'utf8');

interface FenceCommand {
  countdFenceNode(identityKey: string, registered: string, version: number): Promise<unknown>;
}

/** The identity a node holds once fenced for `version`: version 1 keeps the bare one. */
export function fencedIdentity(registered: string, version: number): string {
  return version === 1 ? registered : `${registered}#${version}`;
}

/**
 * Makes `nodeId` a node of the fleet as a worker's first start does (src/worker/node-identities.ts)
 * and returns the identity the fleet registered for it. A node registered already is left as it
 * is (fencing checks what it holds). A node holding another fleet's identity, or counter hashes
 * without any identity (another deployment's data), is refused before anything is written.
 */
export async function joinFleet(
  queue: Redis,
  keys: CountdKeys,
  queueName: string,
  nodeId: string,
  node: Redis,
): Promise<string> {
  const table = keys.fleetNodes(queueName);
  const known = await queue.hget(table, nodeId);
  if (known !== null) return known;
  const fleet = await fleetId(queue, keys.fleetId(queueName));
  const key = keys.nodeIdentity();
  let onNode = await node.get(key);
  if (onNode === null) {
    if (await holdsCounters(node, keys))
      throw new ConfigError(
        `node ${nodeId}`,
        `holds counter hashes (${keys.bucketPattern()}) but no countd identity: another ` +
          "deployment's data? Give the new node an empty server or another COUNTD_PREFIX",
      );
    // Written on the node first, then registered: of two writers reaching two servers for one
    // id, one registration wins and the other sees its server is not the registered one.
    await node.set(key, `${fleet}:${nodeId}:${randomBytes(9).toString('base64url')}`, 'NX');
    onNode = await node.get(key);
  }
  if (onNode === null || !onNode.startsWith(`${fleet}:${nodeId}:`))
    throw new NodeIdentityError(nodeId, 'foreign', undefined, onNode ?? undefined);
  const bare = onNode.split('#')[0]!;
  await queue.hsetnx(table, nodeId, bare);
  const registered = await queue.hget(table, nodeId);
  if (registered !== bare)
    throw new NodeIdentityError(nodeId, 'claimed', registered ?? undefined, onNode);
  return registered;
}

/**
 * Fences `nodeId` for `version` (fence-node.lua): from then on no apply of an older version
 * lands on it. Idempotent. Throws NodeIdentityError, writing nothing, when the node holds
 * anything but the registered identity of an older (or this) version.
 */
export async function fenceNode(
  node: Redis,
  keys: CountdKeys,
  nodeId: string,
  registered: string,
  version: number,
): Promise<'fenced' | 'already'> {
  if (!('countdFenceNode' in node))
    node.defineCommand('countdFenceNode', { numberOfKeys: 1, lua: FENCE_SCRIPT });
  const reply = await (node as unknown as FenceCommand).countdFenceNode(
    keys.nodeIdentity(),
    registered,
    version,
  );
  if (!Array.isArray(reply)) throw new Error(`unexpected reply from fence-node: ${String(reply)}`);
  if (reply[0] === 1) return 'fenced';
  if (reply[0] === 2) return 'already';
  const found = String(reply[1] ?? '');
  throw new NodeIdentityError(
    nodeId,
    found === '' ? 'missing' : found.startsWith(`${registered}#`) ? 'claimed' : 'foreign',
    registered,
    found === '' ? undefined : found,
  );
}

/** The fleet's id, drawn by its first worker (or here, by the first change). */
async function fleetId(queue: Redis, key: string): Promise<string> {
  await queue.set(key, randomBytes(8).toString('hex'), 'NX');
  const id = await queue.get(key);
  if (id === null) throw new Error(`${key} vanished right after it was set`);
  return id;
}

async function holdsCounters(node: Redis, keys: CountdKeys): Promise<boolean> {
  let cursor = '0';
  do {
    const [next, found] = await node.scan(cursor, 'MATCH', keys.bucketPattern(), 'COUNT', 100);
    if (found.length > 0) return true;
    cursor = next;
  } while (cursor !== '0');
  return false;
}
