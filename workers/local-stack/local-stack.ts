import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { findRedisServer, LocalRedisServer, RedisServerNotFoundError } from './redis/index.js';

/** The Redis servers `countd up` runs when none is configured: 1 queue + 3 storage nodes, AOF on. */
export interface LocalStack {
  readonly queue: LocalRedisServer;
  readonly nodes: ReadonlyArray<{ readonly id: string; readonly server: LocalRedisServer }>;
  /** `COUNTD_NODES` value for these nodes. */
  readonly nodeSpec: string;
  stop(): Promise<void>;
}

export const LOCAL_NODE_IDS = ['a', 'b', 'c'] as const;

/**
 * Starts the servers under `dataDir` (`queue/`, `node-a/`, ...). Data persists in the AOF, so
 * counts survive a restart of `countd up`; ports are picked free each time, which is fine since
 * placement depends on node ids, never on addresses.
 */
export async function startLocalStack(
  dataDir: string,
  redisServerOverride?: string,
): Promise<LocalStack> {
  const redisServerPath = findRedisServer({ override: redisServerOverride });
  if (redisServerPath === undefined) throw new RedisServerNotFoundError(redisServerOverride);
  mkdirSync(dataDir, { recursive: true });
  const started: LocalRedisServer[] = [];
  const start = async (name: string) => {
    const server = await LocalRedisServer.start({
      dir: join(dataDir, name),
      name,
      redisServerPath,
      appendonly: true,
    });
    started.push(server);
    return server;
  };
  const stopAll = async () => {
    await Promise.all(started.map((s) => s.stop().catch(() => undefined)));
  };
  try {
    const queue = await start('queue');
    const nodes = [];
    for (const id of LOCAL_NODE_IDS) nodes.push({ id, server: await start(`node-${id}`) });
    return {
      queue,
      nodes,
      nodeSpec: nodes.map((n) => `${n.id}=${n.server.url}`).join(','),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
