import type { Redis } from 'ioredis';
import { PAYLOAD_VERSION, PAYLOAD_VERSION_2, type PayloadVersion } from '../jobs/index.js';
import type { CountdKeys } from '../keys/index.js';
import { WORKER_ENTRY_STALE_MS, takeWorkerCensus } from '../ring-change/worker-census.js';

/**
 * The payload version the workers of a queue read now (docs/series.md): 2 when the queue has
 * BullMQ workers and every one is a countd worker whose registry entry, refreshed within
 * {@link WORKER_ENTRY_STALE_MS}, says `payload: 2`; else 1. No worker at all is 1: jobs wait
 * in the queue, and whoever takes them (maybe a 0.1.0 worker) must be able to read them.
 */
export async function fleetPayloadVersion(
  queue: Redis,
  keys: CountdKeys,
  queueName: string,
  bullPrefix: string,
  now: number,
): Promise<PayloadVersion> {
  const { bullWorkers } = await takeWorkerCensus(queue, keys, queueName, bullPrefix, now);
  if (bullWorkers === 0) return PAYLOAD_VERSION;
  const entries = await queue.hvals(keys.fleetWorkers(queueName));
  let readers = 0;
  for (const text of entries) {
    try {
      const entry = JSON.parse(text) as { at?: unknown; payload?: unknown };
      if (
        typeof entry.at === 'number' &&
        now - entry.at <= WORKER_ENTRY_STALE_MS &&
        typeof entry.payload === 'number' &&
        entry.payload >= PAYLOAD_VERSION_2
      )
        readers++;
    } catch {
      // Not a countd worker's entry: it vouches for no worker.
    }
  }
  return readers >= bullWorkers ? PAYLOAD_VERSION_2 : PAYLOAD_VERSION;
}
