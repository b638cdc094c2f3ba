import type { Redis } from 'ioredis';
import { ConfigError, RingMismatchError } from '../errors/index.js';
import type { CountdKeys } from '../keys/index.js';
import {
  parseRingRecord,
  readRingState,
  ringRecord,
  type RingRecord,
  type RingState,
} from '../ring-change/index.js';
import { registeredUrl } from './registered-url.js';
import type { CounterWorkerOptions, FleetIdentity } from './worker-options.js';

/**
 * The first version of a fleet's ring as this worker's options describe it: nodes, weights,
 * algorithm and layout from the fleet identity's canonical form (what the fingerprint covers),
 * URLs from the node connections without credentials.
 */
export function initialRingRecord(
  fleet: FleetIdentity,
  nodes: CounterWorkerOptions['nodes'],
): RingRecord {
  const described = parseRingRecord(
    JSON.stringify({ fingerprint: fleet.fingerprint, canonical: fleet.canonical }),
    'fleet',
  );
  const urls = new Map(nodes.map((n) => [n.id, registeredUrl(n.connection)]));
  const record = ringRecord({
    ...described,
    version: 1,
    nodes: described.nodes.map((n) => {
      const url = urls.get(n.id);
      return url === undefined ? { id: n.id, weight: n.weight } : { ...n, url };
    }),
  });
  if (record.fingerprint !== fleet.fingerprint)
    throw new ConfigError('fleet', `its canonical form does not give its fingerprint`);
  return record;
}

/**
 * Registers the ring in the queue Redis, or checks it against the one registered: every worker
 * consuming a queue must place counters identically, or two workers would write one counter to
 * two nodes. The first worker's ring wins (`SET NX`); after that a worker joins only with the
 * ring registered now, whatever its version (a 0.1.0 record is version 1), and learns that
 * version and any change in progress from what this returns. Changing the ring is a migration
 * (`countd ring ...`), not a restart with another node list.
 */
export async function registerFleetRing(
  queue: Redis,
  keys: CountdKeys,
  queueName: string,
  fleet: FleetIdentity,
  record: RingRecord,
): Promise<RingState> {
  const key = keys.fleetRing(queueName);
  await queue.set(key, JSON.stringify(record), 'NX');
  let state: RingState;
  try {
    state = await readRingState(queue, keys, queueName);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new RingMismatchError('(unreadable)', fleet.fingerprint, [err.message]);
  }
  const current = state.ring;
  if (current === undefined) throw new Error(`${key} vanished right after it was set`);
  if (current.fingerprint === fleet.fingerprint) return state;
  const nodes = current.nodes.map((n) => (n.weight === 1 ? n.id : `${n.id}:${n.weight}`));
  throw new RingMismatchError(current.fingerprint, fleet.fingerprint, [
    `the fleet's ring is version ${current.version} (nodes ${nodes.join(', ')})`,
    ...fleet.describeDifferences(current.canonical, fleet.canonical),
  ]);
}
