import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { HashRing } from '../../../src/ring/index.js';
import { StorageLayout } from '../../../src/storage/index.js';
import type { TestRedisServer } from '../../support/redis-harness.js';
import { WorkerProcess, type WorkerStartOptions } from './worker-process.js';

/** Storage node ids, in the order of the node servers. */
const NODE_IDS = ['a', 'b', 'c', 'd', 'e'];
const BUCKETS = 4096;

/**
 * One countd deployment on test servers: a queue Redis, storage nodes, a key prefix and queue
 * name of its own, worker processes started on it, and what a test needs to check the outcome.
 */
export class E2eStack {
  readonly prefix: string;
  readonly queueName: string;
  readonly layout: StorageLayout;
  readonly nodeIds: readonly string[];
  private readonly workers = new Set<WorkerProcess>();
  private readonly allStarted: WorkerProcess[] = [];
  private queue: Queue | undefined;

  constructor(
    readonly queueServer: TestRedisServer,
    readonly nodeServers: readonly TestRedisServer[],
    name: string,
    private readonly defaults: Readonly<Record<string, string>> = {},
  ) {
    // COUNTD_PREFIX and COUNTD_QUEUE_NAME allow no ':' (unlike uniquePrefix).
    const id = `e2e-${name}-${randomBytes(3).toString('hex')}`;
    this.prefix = id;
    this.queueName = id;
    this.nodeIds = nodeServers.map((_, i) => NODE_IDS[i]!);
    const ring = new HashRing(this.nodeIds.map((id) => ({ id, weight: 1 })));
    this.layout = new StorageLayout(ring, this.prefix, BUCKETS);
  }

  /** Connection of the queue Redis, for in-process producers. */
  get queueConnection(): { host: string; port: number } {
    return { host: this.queueServer.host, port: this.queueServer.port };
  }

  /** The full environment of a worker of this stack. */
  workerEnv(overrides: Readonly<Record<string, string>> = {}): Record<string, string> {
    return {
      COUNTD_QUEUE_URL: this.queueServer.url,
      COUNTD_QUEUE_NAME: this.queueName,
      COUNTD_NODES: this.nodeServers.map((s, i) => `${this.nodeIds[i]}=${s.url}`).join(','),
      COUNTD_PREFIX: this.prefix,
      COUNTD_BUCKETS: String(BUCKETS),
      COUNTD_METRICS_PORT: '0',
      COUNTD_FLUSH_INTERVAL_MS: '300',
      COUNTD_LOCK_DURATION_MS: '3000',
      COUNTD_SHUTDOWN_TIMEOUT_MS: '10000',
      COUNTD_LOG_LEVEL: 'info',
      ...this.defaults,
      ...overrides,
    };
  }

  /**
   * Starts a worker process (killed by {@link dispose} if still running). With `options.bin`,
   * another version's worker; `options.settings` then names the COUNTD_* variables it accepts
   * (a countd worker refuses unknown ones), and the others are left out of its environment.
   */
  async startWorker(
    label: string,
    overrides: Readonly<Record<string, string>> = {},
    options: WorkerStartOptions & { readonly settings?: ReadonlySet<string> } = {},
  ): Promise<WorkerProcess> {
    const { settings, ...startOptions } = options;
    let env = this.workerEnv(overrides);
    if (settings !== undefined)
      env = Object.fromEntries(
        Object.entries(env).filter(([name]) => !name.startsWith('COUNTD_') || settings.has(name)),
      );
    const worker = await WorkerProcess.start(label, env, startOptions);
    this.workers.add(worker);
    this.allStarted.push(worker);
    void worker.exited.then(() => this.workers.delete(worker));
    return worker;
  }

  /** A client per node id (closed by the harness). */
  nodeClients(): Map<string, Redis> {
    return new Map(this.nodeServers.map((s, i) => [this.nodeIds[i]!, s.client()]));
  }

  /** BullMQ job counts of this stack's queue. */
  async jobCounts(): Promise<Record<string, number>> {
    this.queue ??= new Queue(this.queueName, {
      connection: { ...this.queueConnection, maxRetriesPerRequest: null },
    });
    return this.queue.getJobCounts(
      'waiting',
      'active',
      'delayed',
      'prioritized',
      'failed',
      'completed',
    );
  }

  /** Waits until no job is waiting, active (held), or delayed: everything is applied. */
  async waitForDrain(timeoutMs: number): Promise<Record<string, number>> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const counts = await this.jobCounts();
      const left =
        (counts.waiting ?? 0) +
        (counts.active ?? 0) +
        (counts.delayed ?? 0) +
        (counts.prioritized ?? 0);
      if (left === 0) return counts;
      if (performance.now() > deadline) {
        throw new Error(
          `queue not drained within ${timeoutMs} ms: ${JSON.stringify(counts)}\n${this.stderrTails()}`,
        );
      }
      await sleep(250);
    }
  }

  /** The stderr tails of every worker started, for failure messages. */
  stderrTails(lines = 40): string {
    return this.allStarted.map((w) => w.stderrTail(lines)).join('\n');
  }

  /** SIGKILLs the workers still running (by pid) and closes the queue handle. */
  async dispose(): Promise<void> {
    await Promise.all([...this.workers].map((w) => w.kill()));
    await this.queue?.close().catch(() => undefined);
    this.queue = undefined;
  }
}
