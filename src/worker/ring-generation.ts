import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { JobPair, JobPayload } from '../jobs/index.js';
import type { WorkerMetrics } from '../metrics/index.js';
import {
  changeSplitsCounters,
  type RingChangeRecord,
  type RingRecord,
} from '../ring-change/index.js';
import { backoffDelay, type Backoff } from '../retry/index.js';
import type { Rollups } from '../rollups/index.js';
import type { StorageLayout } from '../storage/index.js';
import { BucketPlan } from './bucket-plan.js';
import { FlushBuffer } from './flush-buffer.js';
import { Flusher, type FlusherContext, type FlusherOptions } from './flusher.js';
import { FromMarkers, type ScreenedPairs } from './from-markers.js';
import type { HeldJob } from './held-job.js';
import { NodeClients, type NodeConnection } from './node-clients.js';
import { NodeIdentities } from './node-identities.js';
import { NodeWriter, type ApplySettings } from './node-writer.js';
import { connectionFromRecord } from './registered-url.js';

/** What every generation of a worker shares: the queue Redis, job ownership, tuning. */
export interface GenerationContext {
  readonly queue: Redis;
  readonly queueName: string;
  /** The worker's own node list: its URLs and credentials win over the ring record's. */
  readonly configNodes: readonly NodeConnection[];
  readonly commandTimeoutMs: number;
  readonly maxScriptCounters: number;
  readonly apply: ApplySettings;
  readonly flusher: Omit<FlusherContext, 'identities'>;
  readonly flusherOptions: FlusherOptions;
  /** Spacing of the retries of a `from` marker read (the trap). */
  readonly retry: Backoff;
  readonly metrics?: WorkerMetrics;
  /** A `from` marker read failed (a node of `from` unreachable): the job stays held, retried. */
  readonly onScreenError: (error: Error & { node?: string }) => void;
}

/**
 * Everything a worker writes through under one ring version: the nodes' clients and
 * identities, the buffer, the writers (markers of that version) and the flusher. A newer
 * version is a new generation: the old one is retired whole (its buffer dropped: the nodes,
 * fenced, refuse it), so no piece of state is shared by two versions.
 */
export class RingGeneration {
  readonly nodes: readonly NodeConnection[];
  readonly identities: NodeIdentities;
  readonly buffer: FlushBuffer;
  readonly flusher: Flusher;
  private readonly clients: NodeClients;
  private trap: FromMarkers | undefined;
  private readonly retired$ = new AbortController();

  constructor(
    readonly version: number,
    readonly layout: StorageLayout,
    nodes: readonly NodeConnection[],
    private readonly context: GenerationContext,
    /** The time buckets this ring version writes (its record's rollups). */
    readonly rollups: Rollups = [],
  ) {
    this.nodes = nodes;
    const c = context;
    this.clients = new NodeClients(nodes, c.commandTimeoutMs);
    const nodeIndex = new Map(nodes.map((node, i) => [node.id, i]));
    const nodeIndexOf = (name: string): number => {
      const index = nodeIndex.get(layout.ring.locate(name));
      if (index === undefined) throw new Error(`ring placed a counter on an unknown node`);
      return index;
    };
    this.identities = new NodeIdentities(
      c.queue,
      layout.keys,
      c.queueName,
      nodes.map((node, i) => ({ id: node.id, redis: this.clients.clients[i]! })),
      version,
    );
    const tooOld = c.metrics?.rollupIncrementsTooOld;
    const plan =
      rollups.length === 0
        ? undefined
        : new BucketPlan(rollups, Date.now, (r) => tooOld?.inc({ granularity: r.granularity }));
    this.buffer = new FlushBuffer(nodes.length, nodeIndexOf, c.maxScriptCounters, plan);
    this.flusher = new Flusher(
      this.buffer,
      nodes.map(
        (node, i) =>
          new NodeWriter(node.id, this.clients.clients[i]!, layout, c.apply, version, rollups),
      ),
      nodeIndexOf,
      { ...c.flusher, identities: this.identities },
      c.flusherOptions,
      c.metrics,
    );
  }

  /**
   * The generation of ring `record`: a node of the worker's own list is reached at its URL,
   * any other at the record's URL with the credentials of the worker's first node.
   */
  static ofRecord(
    record: RingRecord,
    layout: StorageLayout,
    context: GenerationContext,
  ): RingGeneration {
    return new RingGeneration(
      record.version,
      layout,
      nodesOfRecord(record, context.configNodes),
      context,
      record.rollups ?? [],
    );
  }

  get nodeIds(): string[] {
    return this.nodes.map((n) => n.id);
  }

  get retired(): boolean {
    return this.retired$.signal.aborted;
  }

  /** Checks the identities of the nodes that answer (see NodeIdentities.verifyAll). */
  open(waitMs?: number): Promise<void> {
    return this.identities.verifyAll(waitMs);
  }

  /**
   * Follows the change record as last read: while it moves sums to this generation's version,
   * jobs are screened against their `from` markers (the trap); otherwise not.
   */
  followChange(change: RingChangeRecord | undefined): void {
    const trapping =
      change !== undefined &&
      changeSplitsCounters(change) &&
      (change.phase === 'moving' || change.phase === 'settling') &&
      change.to.version === this.version;
    if (trapping && this.trap === undefined && !this.retired) {
      this.trap = new FromMarkers(
        change,
        nodesOfRecord(change.from, this.context.configNodes),
        this.context.commandTimeoutMs,
      );
    } else if (!trapping && this.trap !== undefined) {
      const trap = this.trap;
      this.trap = undefined;
      void trap.close(() => undefined);
    }
  }

  /** True while jobs are screened against the `from` markers of a change. */
  get trapping(): boolean {
    return this.trap !== undefined;
  }

  /**
   * The job's counters that are still to be applied (the trap, while it is set). A `from` node
   * that cannot be read is retried with backoff, the job held meanwhile. Undefined when this
   * generation was retired in between: the job is placed by the next one.
   */
  async screen(
    jobId: string,
    instance: string,
    pairs: readonly JobPair[],
  ): Promise<ScreenedPairs | undefined> {
    for (let attempt = 1; ; attempt++) {
      if (this.retired) return undefined;
      const trap = this.trap;
      if (trap === undefined) return { pairs, unapplied: [], dropped: 0 };
      try {
        return await trap.screen(jobId, instance, pairs);
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        this.context.onScreenError(error);
        await sleep(backoffDelay(attempt, this.context.retry), undefined, {
          signal: this.retired$.signal,
        }).catch(() => undefined);
      }
    }
  }

  /** Buffers a screened job; returns the indexes of the nodes it has a part on. */
  place(job: HeldJob, payload: JobPayload): number[] {
    return this.buffer.add(job, payload);
  }

  answering(): Promise<boolean> {
    return this.clients.answering();
  }

  nodeReplication() {
    return this.clients.nodeReplication();
  }

  /**
   * Stops applying under this version (what is buffered is dropped with the generation: the
   * fenced nodes refuse it anyway). {@link close} then waits for the applies in flight.
   */
  retire(): void {
    this.retired$.abort();
    this.flusher.abandon();
  }

  /** Waits for the flushes in flight to stop, then closes the clients; failures reported. */
  async close(onError: (error: unknown) => void): Promise<void> {
    this.retire();
    await this.flusher.flushAll().catch(onError);
    const trap = this.trap;
    this.trap = undefined;
    await trap?.close(onError);
    await this.clients.close(onError);
  }
}

/** The nodes of a ring record as this worker reaches them (docs/ring.md, credentials). */
export function nodesOfRecord(
  record: RingRecord,
  configNodes: readonly NodeConnection[],
): NodeConnection[] {
  const own = new Map(configNodes.map((n) => [n.id, n.connection]));
  const credentials = configNodes[0]?.connection ?? {};
  return record.nodes.map((node) => {
    const connection = own.get(node.id);
    if (connection !== undefined) return { id: node.id, connection };
    if (node.url === undefined)
      throw new Error(
        `node ${node.id} of ring version ${record.version} has no URL in the ring record and ` +
          "is not in this worker's node list",
      );
    return { id: node.id, connection: connectionFromRecord(node.id, node.url, credentials) };
  });
}
