import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { parseConfig } from '../../../src/config/index.js';
import { Producer } from '../../../src/producer/index.js';
import { HashRing } from '../../../src/ring/index.js';
import { StorageLayout } from '../../../src/storage/index.js';
import type { LocalRedisServer } from '../../../workers/local-stack/redis/index.js';
import type { SentinelStack } from '../../../workers/local-stack/sentinel-stack.js';
import { metricSum } from './prom-text.js';
import { WorkerProcess } from './worker-process.js';

export const SENTINEL_NODE_IDS = ['a', 'b', 'c'] as const;
const BUCKETS = 1024;

/**
 * One countd deployment on a {@link SentinelStack} (groups `queue`, `a`, `b`, `c`): every URL a
 * `redis+sentinel://` one, its own prefix and queue name, worker processes, in-process
 * producers, and reads of the counters from whichever servers are the primaries now.
 */
export class SentinelDeployment {
  readonly prefix: string;
  readonly layout: StorageLayout;
  readonly env: Record<string, string>;
  private readonly workers: WorkerProcess[] = [];
  private readonly clients: Redis[] = [];

  constructor(
    readonly stack: SentinelStack,
    name: string,
    settings: Readonly<Record<string, string>>,
  ) {
    this.prefix = `e2e-${name}-${randomBytes(3).toString('hex')}`;
    this.layout = new StorageLayout(
      new HashRing(SENTINEL_NODE_IDS.map((id) => ({ id, weight: 1 }))),
      this.prefix,
      BUCKETS,
    );
    this.env = {
      COUNTD_QUEUE_URL: stack.url('queue'),
      COUNTD_QUEUE_NAME: this.prefix,
      COUNTD_NODES: SENTINEL_NODE_IDS.map((id) => `${id}=${stack.url(id)}`).join(','),
      COUNTD_PREFIX: this.prefix,
      COUNTD_BUCKETS: String(BUCKETS),
      COUNTD_METRICS_PORT: '0',
      COUNTD_FLUSH_INTERVAL_MS: '300',
      COUNTD_LOCK_DURATION_MS: '5000',
      COUNTD_CONCURRENCY: '300',
      COUNTD_REPLICA_WAIT_MS: '500',
      COUNTD_SHUTDOWN_TIMEOUT_MS: '10000',
      COUNTD_LOG_LEVEL: 'info',
      ...settings,
    };
  }

  async startWorker(label: string): Promise<WorkerProcess> {
    const worker = await WorkerProcess.start(label, this.env);
    this.workers.push(worker);
    return worker;
  }

  /** A producer of this deployment, configured as an application would (COUNTD_MIN_REPLICAS included). */
  producer(): Producer {
    return Producer.fromConfig(
      parseConfig({
        COUNTD_QUEUE_URL: this.env.COUNTD_QUEUE_URL,
        COUNTD_QUEUE_NAME: this.env.COUNTD_QUEUE_NAME,
        COUNTD_MIN_REPLICAS: this.env.COUNTD_MIN_REPLICAS,
        COUNTD_REPLICA_WAIT_MS: this.env.COUNTD_REPLICA_WAIT_MS,
      }),
      { deadlineMs: 60_000 },
    );
  }

  /** A client per node id on the server that is its primary now. */
  async primaryClients(): Promise<Map<string, Redis>> {
    const out = new Map<string, Redis>();
    for (const id of SENTINEL_NODE_IDS) out.set(id, this.client(await this.stack.primaryOf(id)));
    return out;
  }

  client(server: LocalRedisServer): Redis {
    const redis = new Redis({ host: server.host, port: server.port, maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined);
    this.clients.push(redis);
    return redis;
  }

  /**
   * Seconds from `killedAt` (epoch ms) to the first flush any worker made durable on `node`
   * after it (countd_node_last_flush_timestamp_seconds), polled every 100 ms.
   */
  async firstFlushAfter(node: string, killedAt: number, timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const worker of this.workers.filter((w) => w.alive)) {
        const text = await worker.metrics().catch(() => '');
        const at = metricSum(text, 'countd_node_last_flush_timestamp_seconds', { node });
        if (at * 1000 > killedAt) return (at * 1000 - killedAt) / 1000;
      }
      if (Date.now() > deadline) throw new Error(`no flush on ${node} after the kill`);
      await sleep(100);
    }
  }

  /** Jobs held (countd_buffer_jobs) and RSS, summed and maxed over the workers alive. */
  async heldAndRss(): Promise<{ held: number; rss: number }> {
    let held = 0;
    let rss = 0;
    for (const worker of this.workers.filter((w) => w.alive)) {
      held += metricSum(await worker.metrics().catch(() => ''), 'countd_buffer_jobs');
      rss = Math.max(rss, worker.rssBytes() ?? 0);
    }
    return { held, rss };
  }

  /** Waits until the queue holds no waiting, active or delayed job of this deployment. */
  async waitForDrain(timeoutMs: number): Promise<void> {
    const queue = this.client(await this.stack.primaryOf('queue'));
    const base = `bull:${this.prefix}`;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [wait, active, delayed] = await Promise.all([
        queue.llen(`${base}:wait`),
        queue.llen(`${base}:active`),
        queue.zcard(`${base}:delayed`),
      ]);
      if (wait + active + delayed === 0) return;
      if (Date.now() > deadline)
        throw new Error(`queue not drained: ${JSON.stringify({ wait, active, delayed })}`);
      await sleep(250);
    }
  }

  stderrTails(): string {
    return this.workers.map((w) => w.stderrTail(30)).join('\n');
  }

  async dispose(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.kill()));
    for (const client of this.clients) client.disconnect();
  }
}

/**
 * SIGKILLs the primary of `group`, waits until the sentinels name another one, and restarts
 * the killed server `restartAfterMs` after the kill with its data (AOF). Restarted as a start
 * script under Sentinel does it (`replicaof` the primary the sentinels name), it rejoins as a
 * replica at once; left to the sentinels alone it would serve as a stale primary until they
 * notice it and turn it into a replica (up to ~18 s: their 10 s INFO period plus 8 s of
 * waiting for new configurations), and nobody writes to it meanwhile since they do not name it.
 * `replicaBack` resolves when the new primary has a replica online again.
 */
export async function failOver(
  stack: SentinelStack,
  group: string,
  restartAfterMs: number,
): Promise<{
  killedAt: number;
  promotedSeconds: number;
  restarted: Promise<void>;
  replicaBack: Promise<number>;
}> {
  const old = await stack.primaryOf(group);
  await old.kill();
  const killedAt = Date.now();
  let promoted: LocalRedisServer;
  for (;;) {
    promoted = await stack.primaryOf(group).catch(() => old);
    if (promoted !== old) break;
    await sleep(50);
  }
  const promotedSeconds = (Date.now() - killedAt) / 1000;
  const rejoin = async (redis: Redis) => {
    await redis.call('REPLICAOF', promoted.host, String(promoted.port));
  };
  const restarted = sleep(Math.max(0, killedAt + restartAfterMs - Date.now())).then(async () => {
    await old.restart();
    await withClient(old, rejoin);
  });
  const replicaBack = restarted.then(async () => {
    for (;;) {
      const info = await withClient(promoted, (r) => r.info('replication')).catch(() => '');
      if (/state=online/.test(info)) return (Date.now() - killedAt) / 1000;
      await sleep(50);
    }
  });
  return { killedAt, promotedSeconds, restarted, replicaBack };
}

async function withClient<T>(server: LocalRedisServer, use: (redis: Redis) => Promise<T>) {
  const redis = new Redis({ host: server.host, port: server.port, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}
