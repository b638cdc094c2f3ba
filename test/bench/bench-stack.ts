import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { HashRing } from '../../src/ring/index.js';
import { StorageLayout } from '../../src/storage/index.js';
import { LocalRedisServer } from '../../workers/local-stack/redis/index.js';

/** Storage node ids of the bench: the ring every process builds from them is the same. */
export const NODE_IDS = ['a', 'b', 'c'] as const;

export interface BenchServer {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly client: Redis;
}

/**
 * The bench's own `redis-server` processes on free loopback ports: one queue Redis and three
 * storage nodes. Only these are ever flushed; the bench never talks to a Redis it did not start.
 */
export class BenchStack {
  private constructor(
    readonly dir: string,
    private readonly servers: LocalRedisServer[],
    readonly queue: BenchServer,
    readonly nodes: readonly BenchServer[],
  ) {}

  /** `appendonly`: AOF everysec on every server, as `countd up` runs them (default off). */
  static async start(appendonly: boolean): Promise<BenchStack> {
    const dir = mkdtempSync(join(tmpdir(), 'countd-bench-'));
    const started: LocalRedisServer[] = [];
    try {
      for (const name of ['queue', ...NODE_IDS.map((id) => `node-${id}`)]) {
        started.push(await LocalRedisServer.start({ dir: join(dir, name), name, appendonly }));
      }
    } catch (err) {
      await Promise.all(started.map((s) => s.stop()));
      throw err;
    }
    const wrap = (s: LocalRedisServer): BenchServer => ({
      name: s.name,
      url: s.url,
      port: s.port,
      pid: s.pid!,
      client: quiet(new Redis({ host: s.host, port: s.port })),
    });
    const [queue, ...nodes] = started.map(wrap);
    return new BenchStack(dir, started, queue!, nodes);
  }

  /** `COUNTD_NODES` of the stack. */
  get nodeSpec(): string {
    return this.nodes.map((n, i) => `${NODE_IDS[i]}=${n.url}`).join(',');
  }

  get all(): BenchServer[] {
    return [this.queue, ...this.nodes];
  }

  /** The ring and layout a worker builds from {@link nodeSpec} with the given prefix and buckets. */
  layout(prefix: string, buckets: number): StorageLayout {
    const ring = new HashRing(NODE_IDS.map((id) => ({ id, weight: 1 })));
    return new StorageLayout(ring, prefix, buckets);
  }

  /**
   * Empties every server of the stack (only ever servers this bench started) and resets stats;
   * the storage nodes' slow log keeps every command of 1 ms or more (see {@link scriptTimes}).
   */
  async reset(): Promise<void> {
    await Promise.all(
      this.all.map(async (s) => {
        await s.client.flushall();
        await s.client.config('RESETSTAT');
        await s.client.config('SET', 'slowlog-log-slower-than', '1000');
        await s.client.config('SET', 'slowlog-max-len', '100000');
        await s.client.slowlog('RESET');
      }),
    );
  }

  /**
   * Durations (ms) of the scripts of 1 ms or more the storage nodes ran since the last reset,
   * from their slow logs: how long an apply blocked its node.
   */
  async scriptTimes(): Promise<number[]> {
    const times: number[] = [];
    for (const node of this.nodes) {
      const entries = (await node.client.slowlog('GET', 100000)) as Array<
        [number, number, number, string[]]
      >;
      for (const [, , micros, args] of entries) {
        const command = String(args[0]).toLowerCase();
        if (command === 'evalsha' || command === 'eval') times.push(micros / 1000);
      }
    }
    return times.sort((a, b) => a - b);
  }

  /** Sum of `cmdstat_<command>` calls over the storage nodes since the last reset. */
  async storageCalls(command: string): Promise<number> {
    let total = 0;
    for (const node of this.nodes) {
      const info = await node.client.info('commandstats');
      const match = new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info);
      if (match !== null) total += Number(match[1]);
    }
    return total;
  }

  async stop(): Promise<void> {
    for (const s of this.all) s.client.disconnect();
    await Promise.all(this.servers.map((s) => s.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Errors surface through the commands that fail; no "Unhandled error event" noise. */
function quiet(client: Redis): Redis {
  client.on('error', () => undefined);
  return client;
}

/** `used_memory` of a server, in bytes. */
export async function usedMemory(client: Redis): Promise<number> {
  const info = await client.info('memory');
  const match = /^used_memory:(\d+)/m.exec(info);
  if (match === null) throw new Error('INFO memory has no used_memory');
  return Number(match[1]);
}

/** Starts `count` more servers (no AOF) for a scenario that needs fresh ones; stop them after. */
export async function startFreshServers(
  dir: string,
  tag: string,
  count: number,
): Promise<{ servers: BenchServer[]; stop: () => Promise<void> }> {
  const started: LocalRedisServer[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const name = `${tag}-${i}`;
      started.push(await LocalRedisServer.start({ dir: join(dir, name), name, appendonly: false }));
    }
  } catch (err) {
    await Promise.all(started.map((s) => s.stop()));
    throw err;
  }
  const servers = started.map((s) => ({
    name: s.name,
    url: s.url,
    port: s.port,
    pid: s.pid!,
    client: quiet(new Redis({ host: s.host, port: s.port })),
  }));
  return {
    servers,
    stop: async () => {
      for (const s of servers) s.client.disconnect();
      await Promise.all(started.map((s) => s.stop()));
    },
  };
}
