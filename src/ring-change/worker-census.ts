import type { Redis } from 'ioredis';
import type { CountdKeys } from '../keys/index.js';

/** A registry entry older than this is a worker that stopped (they refresh every few seconds). */
export const WORKER_ENTRY_STALE_MS = 15_000;

/** Workers consuming a queue: as BullMQ sees them, and the live countd workers registered. */
export interface WorkerCensus {
  readonly bullWorkers: number;
  readonly countdWorkers: number;
}

/**
 * Counts the queue's BullMQ workers the way `Queue.getWorkers` does (CLIENT LIST names
 * `<bullPrefix>:<base64 queue name>`, or with a `:w:<name>` suffix) and the entries of the
 * fleet's worker registry refreshed within {@link WORKER_ENTRY_STALE_MS} of `now`.
 */
export async function takeWorkerCensus(
  queue: Redis,
  keys: CountdKeys,
  queueName: string,
  bullPrefix: string,
  now: number,
): Promise<WorkerCensus> {
  const name = `${bullPrefix}:${Buffer.from(queueName).toString('base64')}`;
  const list = String(await queue.client('LIST'));
  let bullWorkers = 0;
  for (const line of list.split(/\r?\n/)) {
    const client = / name=(\S*)/.exec(` ${line}`)?.[1];
    if (client !== undefined && (client === name || client.startsWith(`${name}:w:`))) bullWorkers++;
  }
  const entries = await queue.hgetall(keys.fleetWorkers(queueName));
  let countdWorkers = 0;
  for (const text of Object.values(entries)) {
    try {
      const at = (JSON.parse(text) as { at?: unknown }).at;
      if (typeof at === 'number' && now - at <= WORKER_ENTRY_STALE_MS) countdWorkers++;
    } catch {
      // Not a countd worker's entry: it vouches for no worker.
    }
  }
  return { bullWorkers, countdWorkers };
}
