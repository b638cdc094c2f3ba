import { ReplicasShortError } from '../errors/index.js';
import type { WorkerMetrics } from '../metrics/index.js';
import type { NodeWriter } from './node-writer.js';

/** What {@link ReplicaAcks} waits for: `COUNTD_MIN_REPLICAS` and `COUNTD_REPLICA_WAIT_MS`. */
export interface ReplicaRequirement {
  readonly min: number;
  readonly waitMs: number;
}

/**
 * Decides when an apply is durable: at once with no replicas required, else once `WAIT` says
 * `min` replicas of the node hold everything the worker's connection wrote. Short of them, it
 * throws {@link ReplicasShortError}; the flusher keeps the jobs held and retries the apply, which
 * the markers turn into a duplicate (nothing applied twice) unless a failover promoted a
 * replica that never got the apply, where it is applied again, once.
 */
export class ReplicaAcks {
  constructor(
    private readonly requirement: ReplicaRequirement,
    private readonly metrics?: WorkerMetrics,
  ) {}

  /**
   * Resolves once `writer`'s node has the writes of its connection on enough replicas. `found`:
   * the apply wrote nothing because it found its parts applied (see NodeWriter.replicaAcks).
   */
  async confirm(writer: NodeWriter, found: boolean): Promise<void> {
    const { min, waitMs } = this.requirement;
    if (min === 0) return;
    const node = writer.node;
    const started = performance.now();
    const acks = await writer.replicaAcks(min, waitMs, found);
    this.metrics?.replicaAckWait.observe({ node }, (performance.now() - started) / 1000);
    const short = acks < min;
    this.metrics?.replicasShort.set({ node }, short ? 1 : 0);
    if (short) throw new ReplicasShortError(node, acks, min, waitMs);
  }
}
