import { Queue, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { NodeReplicationState } from '../metrics/index.js';
import { closeConnection, parseReplicationInfo } from '../redis/index.js';
import type { CounterWorkerOptions } from './worker-options.js';

type QueueCounts = Record<string, number>;

/**
 * The worker's own Redis clients: one per storage node and one to the queue Redis (leases,
 * the fleet's records, queue counts). BullMQ's consumer opens its own connections from
 * {@link consumer}. Opened by {@link open}, closed by {@link close}.
 */
export class WorkerConnections {
  /** Storage node clients, in the order of the options' nodes. */
  readonly storage: readonly Redis[];
  readonly queue: Redis;
  /** Connection options of BullMQ's consumer. */
  readonly consumer: ConnectionOptions;
  private queueForCounts: Queue | undefined;

  constructor(private readonly options: Readonly<CounterWorkerOptions>) {
    const o = options;
    this.storage = o.nodes.map(
      (node) =>
        new Redis({
          ...node.connection,
          // Fail fast while a node is down: the flusher retries with backoff and jobs stay held,
          // rather than commands piling up in an offline queue.
          enableOfflineQueue: false,
          commandTimeout: o.commandTimeoutMs,
          maxRetriesPerRequest: 1,
          connectionName: `countd-worker-${node.id}`,
        }),
    );
    for (const redis of this.storage) redis.on('error', () => undefined); // reported through flush errors
    // No retry limit: BullMQ needs it, and the queue Redis being away is waited out, not failed.
    this.queue = new Redis({ ...o.queue, maxRetriesPerRequest: null, lazyConnect: true });
    this.queue.on('error', () => undefined);
    this.consumer = { ...o.queue, maxRetriesPerRequest: null } as ConnectionOptions;
  }

  /** Connects to the queue Redis (storage clients connect by themselves and reconnect). */
  async open(): Promise<void> {
    await this.queue.connect();
  }

  /** True when the queue Redis and every storage node answer a PING. */
  async answering(): Promise<boolean> {
    const answers = await Promise.all(
      [this.queue, ...this.storage].map((r) =>
        r.ping().then(
          () => true,
          () => false,
        ),
      ),
    );
    return answers.every(Boolean);
  }

  /**
   * What each storage node's connection reaches now, from `INFO replication` (the metrics'
   * role and lag gauges, on scrape). A node that does not answer within a second is
   * `unreachable`: its connection may be waiting out a WAIT or a failover.
   */
  nodeReplication(): Promise<NodeReplicationState[]> {
    return Promise.all(
      this.storage.map(async (redis, n) => {
        const node = this.options.nodes[n]!.id;
        const text = await Promise.race([
          redis.info('replication').catch(() => undefined),
          new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 1000).unref()),
        ]);
        if (text === undefined)
          return { node, role: 'unreachable', replicas: 0, lagSeconds: 0, lagBytes: 0 } as const;
        return { node, ...parseReplicationInfo(text) };
      }),
    );
  }

  /** Jobs per state in the queue (for the queue_jobs gauge, read on scrape). */
  queueCounts(): Promise<QueueCounts> {
    this.queueForCounts ??= new Queue(this.options.queueName, { connection: this.queue });
    return this.queueForCounts.getJobCounts(
      'waiting',
      'active',
      'delayed',
      'failed',
      'prioritized',
    );
  }

  /** Closes every client; each step runs even when an earlier one fails, each failure reported. */
  async close(onError: (error: unknown) => void): Promise<void> {
    const steps: Array<() => Promise<unknown>> = [
      () => this.queueForCounts?.close() ?? Promise.resolve(),
      () => closeConnection(this.queue),
      ...this.storage.map((redis) => () => closeConnection(redis)),
    ];
    for (const step of steps) await step().catch(onError);
  }
}
