import type { Redis } from 'ioredis';
import type { StorageLayout } from '../../src/storage/index.js';

let applySeq = 0;

/**
 * For tests and benchmarks that drive NodeWriter.apply directly, without a worker: gives the
 * node an identity (as a worker's start would) and returns what an apply needs to be let in:
 * that identity and a lease deadline a minute ahead.
 */
export async function applyAccess(
  client: Redis,
  layout: StorageLayout,
  identity = 'test-fleet:test-node:t',
): Promise<{ identity: string; deadline: number; applyId: string }> {
  await client.set(layout.keys.nodeIdentity(), identity);
  return { identity, deadline: Date.now() + 60_000, applyId: `test-${++applySeq}` };
}
