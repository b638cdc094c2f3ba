import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { PAYLOAD_VERSION_2 } from '../jobs/index.js';
import type { CountdKeys } from '../keys/index.js';
import { asError } from './as-error.js';

/** How often a worker refreshes its entry: the ring-change command reads `at` to tell the living. */
export const REGISTRY_REFRESH_MS = 5000;

/** The newest job payload version a worker of this release reads: what its entry says. */
export const READS_PAYLOAD_VERSION = PAYLOAD_VERSION_2;

/**
 * This worker's entry in `countd:fleet:<queue>:workers` (id -> `{version, payload, pid, host,
 * at}`): a ring change refuses to start while the queue has more BullMQ workers than such
 * entries, since a worker that does not register (0.1.0) does not follow versions either; a
 * producer writes payload version 2 only while every BullMQ worker has an entry saying
 * `payload: 2` (docs/series.md).
 */
export class WorkerRegistry {
  readonly workerId = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private version = 1;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly queue: Redis,
    private readonly keys: CountdKeys,
    private readonly queueName: string,
    private readonly onError: (error: Error) => void,
    private readonly refreshMs = REGISTRY_REFRESH_MS,
  ) {}

  /** Writes the entry now and every `refreshMs`. */
  async start(version: number): Promise<void> {
    this.version = version;
    await this.write();
    this.timer ??= setInterval(
      () => void this.write().catch((err: unknown) => this.onError(asError(err))),
      this.refreshMs,
    );
    this.timer.unref();
  }

  /** The worker now writes under `version`: the entry says so at once. */
  async update(version: number): Promise<void> {
    this.version = version;
    await this.write();
  }

  /** Stops refreshing and removes the entry. */
  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.queue.hdel(this.keys.fleetWorkers(this.queueName), this.workerId);
  }

  private async write(): Promise<void> {
    const entry = {
      version: this.version,
      payload: READS_PAYLOAD_VERSION,
      pid: process.pid,
      host: hostname(),
      at: Date.now(),
    };
    await this.queue.hset(
      this.keys.fleetWorkers(this.queueName),
      this.workerId,
      JSON.stringify(entry),
    );
  }
}
