import type { Redis } from 'ioredis';
import { RingMismatchError } from '../errors/index.js';
import type { FleetIdentity } from './worker-options.js';

/**
 * Registers the ring in the queue Redis, or checks it against the one registered: every worker
 * consuming a queue must place counters identically, or two workers would write one counter to
 * two nodes. The first worker's ring wins; changing it is a migration, not a restart.
 */
export async function registerFleetRing(
  queue: Redis,
  key: string,
  identity: FleetIdentity,
): Promise<void> {
  const record = JSON.stringify({
    fingerprint: identity.fingerprint,
    canonical: identity.canonical,
  });
  await queue.set(key, record, 'NX');
  const stored = await queue.get(key);
  if (stored === null || stored === record) return;
  let expected: { fingerprint: string; canonical: string };
  try {
    expected = JSON.parse(stored) as { fingerprint: string; canonical: string };
  } catch {
    throw new RingMismatchError('(unreadable)', identity.fingerprint, [
      `${key} holds an unreadable value`,
    ]);
  }
  if (expected.fingerprint === identity.fingerprint) return;
  const differences = identity.describeDifferences(expected.canonical, identity.canonical);
  throw new RingMismatchError(expected.fingerprint, identity.fingerprint, differences);
}
