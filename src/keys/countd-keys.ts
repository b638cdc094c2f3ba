/**
 * Every Redis key and channel countd uses, in one place: no key is string-built elsewhere, so
 * the layout below is the whole of it.
 *
 * Storage nodes: `<prefix>:t:<bucket>` hashes of counters, `<prefix>:applied:<jobId>` markers,
 * `<prefix>:refused:<applyId>` refusal records, `<prefix>:node` the node's identity,
 * `<prefix>:probe` the replica-wait probe, `<prefix>:moved@<version>:<bucket>` flags of a ring
 * change,
 * `<prefix>:updates` pub/sub channel. Queue Redis: `countd:fleet:<queue>:ring`,
 * `countd:fleet:<queue>:id`, `countd:fleet:<queue>:nodes`, `countd:fleet:<queue>:ring-change`
 * (+ `:jobs`, `:runner`), `countd:fleet:<queue>:ring-epoch`, `countd:fleet:<queue>:workers`.
 */
export class CountdKeys {
  constructor(readonly prefix: string) {}

  /** The hash that holds the counters of one bucket. */
  bucket(bucket: number): string {
    return `${this.prefix}:t:${bucket}`;
  }

  /** Glob matching every counter hash of this prefix, for SCAN. */
  bucketPattern(): string {
    return `${this.prefix}:t:*`;
  }

  /**
   * Marker saying a job's part for this node has been applied under ring version `version`
   * (exactly-once protocol). Version 1 keeps 0.1.0's name; later versions have their own keys,
   * so a marker of one version never covers counters a later version moved to the node.
   */
  applied(jobId: string, version = 1): string {
    return version === 1
      ? `${this.prefix}:applied:${jobId}`
      : `${this.prefix}:applied@${version}:${jobId}`;
  }

  /**
   * The hash holding, per counter of slot `slot` (crc32(name) mod B), how much it grew in the
   * time bucket of `granularity` starting at `startMs` (docs/series.md).
   */
  series(granularity: string, startMs: number, slot: number): string {
    return `${this.prefix}:s:${granularity}:${startMs}:${slot}`;
  }

  /** Glob matching every time-bucket hash of this prefix, for SCAN. */
  seriesPattern(): string {
    return `${this.prefix}:s:*`;
  }

  /**
   * Flags of a ring change to `version` for the time-bucket hash `seriesKey` (as `series()`
   * names it): per field, its partial sum from the old node was folded in.
   */
  movedInSeries(version: number, seriesKey: string): string {
    return `${this.prefix}:moved@${version}:${seriesKey.slice(this.prefix.length + 1)}`;
  }

  /**
   * Hash of flags, per field of the new layout's hash `bucket`: the counter's partial sum from
   * its old location was folded in by the change to ring `version` (docs/ring.md).
   */
  movedIn(version: number, bucket: number): string {
    return `${this.prefix}:moved@${version}:${bucket}`;
  }

  /** Glob matching every moved-in flag hash of this prefix (any version), for SCAN. */
  movedInPattern(): string {
    return `${this.prefix}:moved@*`;
  }

  /** What one apply refused (field, error per line), named by its markers' values. */
  refusals(applyId: string): string {
    return `${this.prefix}:refused:${applyId}`;
  }

  /** The node's identity: which fleet's node it is, written once, checked by every apply. */
  nodeIdentity(): string {
    return `${this.prefix}:node`;
  }

  /**
   * A key each worker overwrites on a node before `WAIT` when an apply found its parts already
   * applied: that apply wrote nothing, and `WAIT` only covers what its own connection wrote.
   */
  replicaProbe(): string {
    return `${this.prefix}:probe`;
  }

  /** Channel on each node where flushes publish the new values of the counters they changed. */
  updatesChannel(): string {
    return `${this.prefix}:updates`;
  }

  /**
   * Key in the queue Redis holding the canonical ring of the fleet consuming `queueName`. Not
   * under the storage prefix: the prefix is part of the ring fingerprint, and workers of one
   * queue with different prefixes must meet at the same key to be told apart.
   */
  fleetRing(queueName: string): string {
    return `countd:fleet:${queueName}:ring`;
  }

  /** Key in the queue Redis holding the ring change in progress (absent when none). */
  ringChange(queueName: string): string {
    return `countd:fleet:${queueName}:ring-change`;
  }

  /** Set in the queue Redis: ids of jobs that may hold parts applied under the change's `from`. */
  ringChangeJobs(queueName: string): string {
    return `countd:fleet:${queueName}:ring-change:jobs`;
  }

  /**
   * Key in the queue Redis: the lease of the runner driving the ring change (its token, with a
   * TTL it renews), so two runners of one change do not both drive it.
   */
  ringChangeRunner(queueName: string): string {
    return `countd:fleet:${queueName}:ring-change:runner`;
  }

  /** Integer in the queue Redis, incremented by every change of the ring or change record. */
  ringEpoch(queueName: string): string {
    return `countd:fleet:${queueName}:ring-epoch`;
  }

  /** Hash in the queue Redis: worker id -> `{version, pid, host, at}` of each running worker. */
  fleetWorkers(queueName: string): string {
    return `countd:fleet:${queueName}:workers`;
  }

  /** Key in the queue Redis holding the fleet's id, drawn by its first worker. */
  fleetId(queueName: string): string {
    return `countd:fleet:${queueName}:id`;
  }

  /** Hash in the queue Redis: node id -> the identity that node was given when it joined. */
  fleetNodes(queueName: string): string {
    return `countd:fleet:${queueName}:nodes`;
  }
}
