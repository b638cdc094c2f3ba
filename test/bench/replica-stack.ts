import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { LocalRedisServer } from '../../workers/local-stack/redis/index.js';
import type { BenchServer, BenchStack } from './bench-stack.js';

const SYNC_TIMEOUT_MS = 30_000;

/** One replica per server of a {@link BenchStack}, started by the bench (`--replicaof`). */
export interface BenchReplicas {
  /** `<primary name>-replica` → pid, for the CPU meter. */
  readonly pids: ReadonlyMap<string, number>;
  stop(): Promise<void>;
}

/**
 * Starts one `redis-server --replicaof` for the queue Redis and for each storage node of
 * `stack` (no Sentinel: nothing fails over in the bench) and resolves once every replica's
 * link is up and every primary counts it, so a `WAIT 1` can be answered from the first flush.
 */
export async function startReplicas(
  stack: BenchStack,
  dir: string,
  appendonly: boolean,
): Promise<BenchReplicas> {
  const started: LocalRedisServer[] = [];
  const clients: Redis[] = [];
  const stop = async (): Promise<void> => {
    for (const c of clients) c.disconnect();
    await Promise.all(started.map((s) => s.stop()));
  };
  try {
    for (const primary of stack.all) {
      const name = `${primary.name}-replica`;
      started.push(
        await LocalRedisServer.start({
          dir: join(dir, name),
          name,
          appendonly,
          extraArgs: ['--replicaof', '127.0.0.1', String(primary.port)],
        }),
      );
    }
    for (const s of started) {
      const client = new Redis({ host: s.host, port: s.port, lazyConnect: true });
      client.on('error', () => undefined);
      clients.push(client);
    }
    await Promise.all(stack.all.map((primary, i) => synced(primary, clients[i]!)));
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    pids: new Map(started.map((s): [string, number] => [`redis-${s.name}`, s.pid!])),
    stop,
  };
}

async function synced(primary: BenchServer, replica: Redis): Promise<void> {
  const deadline = Date.now() + SYNC_TIMEOUT_MS;
  for (;;) {
    const [mine, theirs] = await Promise.all([
      replica.info('replication'),
      primary.client.info('replication'),
    ]);
    if (/^master_link_status:up/m.test(mine) && /^connected_slaves:[1-9]/m.test(theirs)) return;
    if (Date.now() > deadline)
      throw new Error(`replica of ${primary.name} not in sync after ${SYNC_TIMEOUT_MS} ms`);
    await sleep(50);
  }
}
