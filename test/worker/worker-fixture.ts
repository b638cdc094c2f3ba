/**
 * Shared set-up of the worker suites: server 0 of the harness is the queue Redis, servers
 * 1..3 are storage nodes `a`, `b`, `c`. Every call of {@link createStack} gets its own queue
 * name and key prefix, so tests of one file never see each other's jobs or counters.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, type Job } from 'bullmq';
import { Registry } from 'prom-client';
import { afterEach } from 'vitest';
import { WorkerMetrics } from '../../src/metrics/index.js';
import { HashRing, describeRingDifferences, ringFingerprint } from '../../src/ring/index.js';
import type { Rollups } from '../../src/rollups/index.js';
import { StorageLayout } from '../../src/storage/index.js';
import {
  CounterWorker,
  type CounterWorkerOptions,
  type FleetIdentity,
} from '../../src/worker/index.js';
import type { RedisServers, TestRedisServer } from '../support/redis-harness.js';

export const NODE_IDS = ['a', 'b', 'c'] as const;
export type NodeId = (typeof NODE_IDS)[number];

type WorkerOverrides = Partial<Omit<CounterWorkerOptions, 'queue' | 'nodes' | 'ring'>>;

export interface Stack {
  readonly queueName: string;
  readonly prefix: string;
  readonly ring: HashRing;
  readonly layout: StorageLayout;
  /** A BullMQ Queue on the stack's queue, for adding raw jobs and reading their state. */
  readonly queue: Queue;
  /** The storage server of node `id`. */
  server(id: NodeId): TestRedisServer;
  /** A new worker on this stack (closed by {@link Stack.close}); its metrics on a fresh Registry. */
  worker(overrides?: WorkerOverrides): { worker: CounterWorker; metrics: WorkerMetrics };
  /** The stored value of a counter, as Redis holds it (a decimal string), or null. */
  read(name: string): Promise<string | null>;
  /** `count` distinct names placed on node `id`, all starting with `stem`. */
  namesOn(id: NodeId, count: number, stem?: string): string[];
  /** Adds a raw job, as a producer would (`removeOnComplete` off unless given). */
  add(data: unknown, jobId?: string, removeOnComplete?: boolean): Promise<Job>;
  /** Closes the workers (with a short deadline) and the queue. */
  close(): Promise<void>;
}

export interface StackOptions {
  readonly buckets?: number;
  /** Node weights for the ring (default 1 each). */
  readonly weights?: Partial<Record<NodeId, number>>;
  /** Use this queue name instead of a new one (a second worker fleet on the same queue). */
  readonly queueName?: string;
  readonly prefix?: string;
  /** Time buckets the fleet keeps (part of its fingerprint); none by default. */
  readonly rollups?: Rollups;
}

export function createStack(
  redis: RedisServers,
  suitePrefix: string,
  options: StackOptions = {},
): Stack {
  const tag = randomBytes(3).toString('hex');
  const queueName = options.queueName ?? `${suitePrefix.replace(/:/g, '-')}-${tag}`;
  const prefix = options.prefix ?? `${suitePrefix}:${tag}`;
  const buckets = options.buckets ?? 64;
  const queueServer = redis.server(0);
  const connection = { host: queueServer.host, port: queueServer.port };
  const ring = new HashRing(NODE_IDS.map((id) => ({ id, weight: options.weights?.[id] ?? 1 })));
  const layout = new StorageLayout(ring, prefix, buckets);
  const rollups = options.rollups ?? [];
  const { fingerprint, canonical } = ringFingerprint({
    ...ring.definition,
    buckets,
    prefix,
    rollups,
  });
  const fleet: FleetIdentity = {
    fingerprint,
    canonical,
    describeDifferences: describeRingDifferences,
  };
  const queue = new Queue(queueName, { connection });
  queue.on('error', () => undefined);
  const server = (id: NodeId): TestRedisServer => redis.server(1 + NODE_IDS.indexOf(id));
  const readers = new Map<NodeId, ReturnType<TestRedisServer['client']>>();
  const reader = (id: NodeId) => {
    let client = readers.get(id);
    if (client === undefined) {
      client = server(id).client({ maxRetriesPerRequest: 1 });
      readers.set(id, client);
    }
    return client;
  };
  const workers: CounterWorker[] = [];

  return {
    queueName,
    prefix,
    ring,
    layout,
    queue,
    server,
    worker(overrides = {}) {
      const metrics = new WorkerMetrics(new Registry());
      const worker = new CounterWorker({
        queue: connection,
        queueName,
        nodes: NODE_IDS.map((id) => ({
          id,
          connection: { host: server(id).host, port: server(id).port },
        })),
        ring,
        fleet,
        prefix,
        buckets,
        rollups,
        flushIntervalMs: 100,
        concurrency: 200,
        retryMinMs: 20,
        retryMaxMs: 200,
        lockDurationMs: 5000,
        metrics,
        ...overrides,
      });
      // Flush errors are expected in fault tests; each test listens for what it checks.
      worker.on('error', () => undefined);
      workers.push(worker);
      return { worker, metrics };
    },
    async read(name) {
      const { node, key, field } = layout.locate(name);
      return reader(node as NodeId).hget(key, field);
    },
    namesOn(id, count, stem = 'n') {
      const names: string[] = [];
      for (let i = 0; names.length < count; i++) {
        const name = `${stem}-${tag}-${i}`;
        if (ring.locate(name) === id) names.push(name);
      }
      return names;
    },
    add(data, jobId, removeOnComplete = false) {
      return queue.add('incr', data, {
        ...(jobId === undefined ? {} : { jobId }),
        removeOnComplete,
        attempts: 1,
      });
    },
    async close() {
      await Promise.allSettled(workers.map((w) => w.close(2000)));
      await queue.close().catch(() => undefined);
    },
  };
}

/**
 * A suite's stack factory: each stack it makes (see {@link createStack}) is closed after the
 * test that made it. Call it in `describe`, like `useRedisServers`.
 */
export function useStacks(
  redis: RedisServers,
  suitePrefix: string,
): (options?: StackOptions) => Stack {
  const stacks: Stack[] = [];
  afterEach(async () => {
    await Promise.allSettled(stacks.splice(0).map((s) => s.close()));
  });
  return (options) => {
    const s = createStack(redis, suitePrefix, options);
    stacks.push(s);
    return s;
  };
}

/** Polls `check` every 25 ms until it returns true; throws naming `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** The value of a prom-client counter for `labels` (0 when never incremented). */
export async function counterValue(
  metric: { get(): Promise<{ values: Array<{ labels: object; value: number }> }> },
  labels: Record<string, string> = {},
): Promise<number> {
  const { values } = await metric.get();
  let total = 0;
  for (const v of values) {
    const l = v.labels as Record<string, string | number | undefined>;
    if (Object.entries(labels).every(([k, want]) => String(l[k]) === want)) total += v.value;
  }
  return total;
}

/** A valid payload of pairs, `t` = now. */
export function payload(pairs: ReadonlyArray<readonly [string, number]>): {
  v: 1;
  t: number;
  c: Array<[string, number]>;
} {
  return { v: 1, t: Date.now(), c: pairs.map(([n, d]) => [n, d]) };
}
