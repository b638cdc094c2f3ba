import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { parseConfig, requireQueue, toRedisOptions } from '../../../src/config/index.js';
import { CountdKeys } from '../../../src/keys/index.js';
import { closeConnection } from '../../../src/redis/index.js';
import { readRingState } from '../../../src/ring-change/index.js';
import { parseCommandArgs, refusePositionals } from '../args.js';
import { EXIT_OK, type CommandIo } from '../command.js';
import { CONFIG_FLAG_OPTIONS, configFlagValues } from '../config-flags.js';
import { CLI_CONNECT_TIMEOUT_MS } from './reader-from-config.js';
import { formatRingStatus, ringStatusReport, type WorkerEntry } from './ring-status-report.js';

/** While counters move, the rate is measured between two reads this far apart. */
export const RATE_SAMPLE_MS = 1000;

/** `countd ring status [--json]`: the fleet's ring, the change in progress, workers per version. */
export async function ringStatus(args: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandArgs('ring status', args, {
    ...CONFIG_FLAG_OPTIONS,
    json: { type: 'boolean' },
  });
  refusePositionals('ring status', parsed);
  const config = parseConfig(io.env, configFlagValues(parsed));
  const queue = queueClient(requireQueue(config));
  try {
    const keys = new CountdKeys(config.prefix);
    const first = await readRingState(queue, keys, config.queueName);
    let state = first;
    let earlier: { moved: number; at: number; to: number } | undefined;
    if (first.change?.phase === 'moving' && !io.stopSignal.aborted) {
      earlier = { moved: first.change.moved, at: Date.now(), to: first.change.to.version };
      await sleep(RATE_SAMPLE_MS, undefined, { signal: io.stopSignal }).catch(() => undefined);
      state = await readRingState(queue, keys, config.queueName);
    }
    const workers = await readWorkers(queue, keys.fleetWorkers(config.queueName));
    const report = ringStatusReport(config.queueName, state, workers, Date.now(), earlier);
    io.stdout.write(
      parsed.values.json === true
        ? `${JSON.stringify(report, null, 2)}\n`
        : formatRingStatus(report),
    );
    return EXIT_OK;
  } finally {
    await closeConnection(queue);
  }
}

/** A queue client that gives up soon: an unreachable queue Redis is exit 1, not a hang. */
export function queueClient(connection: Parameters<typeof toRedisOptions>[0]): Redis {
  const client = new Redis({
    ...toRedisOptions(connection),
    connectTimeout: CLI_CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
  });
  client.on('error', () => undefined);
  return client;
}

/** The registry's entries `{version, pid, host, at}`; an entry that does not parse is skipped. */
export async function readWorkers(queue: Redis, key: string): Promise<WorkerEntry[]> {
  const entries = await queue.hgetall(key);
  const out: WorkerEntry[] = [];
  for (const text of Object.values(entries)) {
    try {
      const value = JSON.parse(text) as { version?: unknown; at?: unknown };
      if (typeof value.version === 'number' && typeof value.at === 'number')
        out.push({ version: value.version, at: value.at });
    } catch {
      // Not written by a countd worker: it says nothing about the fleet's versions.
    }
  }
  return out;
}
