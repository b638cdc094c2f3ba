import { writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { startLocalRedis, type LocalRedisServer } from './redis/index.js';

/** Options of {@link SentinelStack.start}. */
export interface SentinelStackOptions {
  /** Data directory: one sub-directory per server and per sentinel. */
  readonly dir: string;
  /** The master groups to start, e.g. `['queue', 'node-a']`: each a primary and its replicas. */
  readonly groups: readonly string[];
  /** Replicas per group. @defaultValue 1 */
  readonly replicas?: number;
  /** Sentinels watching every group. @defaultValue 3 */
  readonly sentinels?: number;
  /** Sentinel's `down-after-milliseconds`. @defaultValue 5000 */
  readonly downAfterMs?: number;
  /** Sentinel's `failover-timeout`. @defaultValue 60000 */
  readonly failoverTimeoutMs?: number;
  /** AOF fsync of the data servers. @defaultValue 'everysec' */
  readonly appendfsync?: 'always' | 'everysec' | 'no';
  readonly redisServerPath?: string;
}

/** One master group: its servers, the first started as the primary. */
export interface SentinelGroup {
  readonly name: string;
  readonly servers: readonly LocalRedisServer[];
}

/**
 * Local Redis servers under Sentinel (`countd up --replicas N`, the failover tests): per group
 * a primary with `replicas` replicas, and `sentinels` sentinels monitoring every group with a
 * quorum of a majority. Which server is the primary changes with failovers: ask
 * {@link primaryOf}. Every process is local and stopped by {@link stop}.
 */
export class SentinelStack {
  private constructor(
    readonly groups: ReadonlyMap<string, SentinelGroup>,
    readonly sentinels: readonly LocalRedisServer[],
  ) {}

  static async start(options: SentinelStackOptions): Promise<SentinelStack> {
    const replicas = options.replicas ?? 1;
    const started: LocalRedisServer[] = [];
    const groups = new Map<string, SentinelGroup>();
    try {
      for (const name of options.groups) {
        const start = (i: number, primary?: LocalRedisServer) =>
          startLocalRedis({
            dir: join(options.dir, `${name}-${i}`),
            name: `${name}-${i}`,
            appendfsync: options.appendfsync ?? 'everysec',
            redisServerPath: options.redisServerPath,
            // Diskless full syncs start at once: Redis 7 waits 5 s for more replicas by default,
            // which a replica rejoining after a failover would spend unsynced.
            extraArgs: [
              '--repl-diskless-sync-delay',
              '0',
              ...(primary === undefined ? [] : ['--replicaof', primary.host, String(primary.port)]),
            ],
          });
        const primary = await start(0);
        started.push(primary);
        const servers = [primary];
        for (let i = 1; i <= replicas; i++) {
          const replica = await start(i, primary);
          started.push(replica);
          servers.push(replica);
        }
        groups.set(name, { name, servers });
      }
      const count = options.sentinels ?? 3;
      const sentinels: LocalRedisServer[] = [];
      for (let i = 0; i < count; i++) {
        // Absolute: the sentinel runs in its directory and rewrites the file by this path.
        const dir = resolve(options.dir, `sentinel-${i}`);
        mkdirSync(dir, { recursive: true });
        const configFile = join(dir, 'sentinel.conf');
        writeFileSync(configFile, sentinelConfig([...groups.values()], count, options));
        const sentinel = await startLocalRedis({
          dir,
          name: `sentinel-${i}`,
          appendonly: false,
          configFile,
          extraArgs: ['--sentinel'],
          redisServerPath: options.redisServerPath,
        });
        started.push(sentinel);
        sentinels.push(sentinel);
      }
      const stack = new SentinelStack(groups, sentinels);
      await stack.settled();
      return stack;
    } catch (err) {
      await Promise.allSettled(started.map((s) => s.stop()));
      throw err;
    }
  }

  /** `redis+sentinel://127.0.0.1:p1+…/<group>`: what COUNTD_QUEUE_URL or a node's url is set to. */
  url(group: string): string {
    this.group(group);
    const hosts = this.sentinels.map((s) => `${s.host}:${s.port}`).join('+');
    return `redis+sentinel://${hosts}/${group}`;
  }

  group(name: string): SentinelGroup {
    const group = this.groups.get(name);
    if (group === undefined) throw new RangeError(`no master group "${name}"`);
    return group;
  }

  /** The server the sentinels name as `group`'s primary now (the first sentinel that answers). */
  async primaryOf(group: string): Promise<LocalRedisServer> {
    const servers = this.group(group).servers;
    for (const sentinel of this.sentinels) {
      const reply = await ask(sentinel, ['get-master-addr-by-name', group]).catch(() => null);
      if (!Array.isArray(reply)) continue;
      const found = servers.find((s) => String(s.port) === String(reply[1]));
      if (found !== undefined) return found;
    }
    throw new Error(`no sentinel names a primary of ${group}`);
  }

  /**
   * Waits until every sentinel knows every other one and every group's replicas, so that a
   * failover can reach its quorum (they find each other through the primaries, in seconds).
   */
  async settled(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ready = await Promise.all(
        this.sentinels.flatMap((sentinel) =>
          [...this.groups.values()].map(async (g) => {
            const master = await ask(sentinel, ['master', g.name]).catch(() => null);
            if (!Array.isArray(master)) return false;
            const fields = new Map<string, string>();
            for (let i = 0; i + 1 < master.length; i += 2)
              fields.set(String(master[i]), String(master[i + 1]));
            return (
              Number(fields.get('num-other-sentinels')) >= this.sentinels.length - 1 &&
              Number(fields.get('num-slaves')) >= g.servers.length - 1
            );
          }),
        ),
      );
      if (ready.every(Boolean)) return;
      if (Date.now() > deadline) throw new Error('the sentinels did not find each other in time');
      await sleep(200);
    }
  }

  /** Stops every sentinel, then every server. */
  async stop(): Promise<void> {
    await Promise.allSettled(this.sentinels.map((s) => s.stop()));
    const servers = [...this.groups.values()].flatMap((g) => g.servers);
    await Promise.allSettled(servers.map((s) => s.stop()));
  }
}

function sentinelConfig(
  groups: readonly SentinelGroup[],
  sentinels: number,
  options: SentinelStackOptions,
): string {
  const quorum = Math.floor(sentinels / 2) + 1;
  return groups
    .flatMap((g) => {
      const primary = g.servers[0]!;
      return [
        `sentinel monitor ${g.name} ${primary.host} ${primary.port} ${quorum}`,
        `sentinel down-after-milliseconds ${g.name} ${options.downAfterMs ?? 5000}`,
        `sentinel failover-timeout ${g.name} ${options.failoverTimeoutMs ?? 60_000}`,
        `sentinel parallel-syncs ${g.name} 1`,
      ];
    })
    .concat('')
    .join('\n');
}

async function ask(sentinel: LocalRedisServer, args: string[]): Promise<unknown> {
  const redis = new Redis({
    host: sentinel.host,
    port: sentinel.port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
    commandTimeout: 1000,
  });
  redis.on('error', () => undefined);
  try {
    return await redis.call('SENTINEL', ...args);
  } finally {
    redis.disconnect();
  }
}
