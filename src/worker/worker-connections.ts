import { Queue, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { closeConnection } from '../redis/index.js';
import type { CounterWorkerOptions } from './worker-options.js';

type QueueCounts = Record<string, number>;

/**
 * The worker's client of the queue Redis (leases, the fleet's records, queue counts). BullMQ's
 * consumer opens its own connections from {@link consumer}. Storage nodes have their clients per
 * ring version ({@link NodeClients}). Opened by {@link open}, closed by {@link close}.
 */
export class WorkerConnections {
  readonly queue: Redis;
  /** Connection options of BullMQ's consumer. */
  readonly consumer: ConnectionOptions;
  private queueForCounts: Queue | undefined;

  constructor(private readonly options: Readonly<CounterWorkerOptions>) {
    const o = options;
    // No retry limit: BullMQ needs it, and the queue Redis being away is waited out, not failed.
    this.queue = new Redis({ ...o.queue, maxRetriesPerRequest: null, lazyConnect: true });
    this.queue.on('error', () => undefined);
    this.consumer = { ...o.queue, maxRetriesPerRequest: null } as ConnectionOptions;
  }

  async open(): Promise<void> {
    await this.queue.connect();
  }

  /** True when the queue Redis answers a PING. */
  answering(): Promise<boolean> {
    return this.queue.ping().then(
      () => true,
      () => false,
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
    ];
    for (const step of steps) await step().catch(onError);
  }
}
