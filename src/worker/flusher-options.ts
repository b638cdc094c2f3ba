import type { Backoff } from '../retry/index.js';
import type { HeldJobOutcomes } from './held-job-lifecycle.js';
import type { JobLeases } from './job-leases.js';
import type { NodeIdentities } from './node-identities.js';
import type { ReplicaAcks } from './replica-acks.js';

/** Tuning of the Flusher. */
export interface FlusherOptions {
  /** Storage nodes applied to at once. */
  readonly parallelism: number;
  /** Spacing of the retries of a failed apply. */
  readonly retry: Backoff;
  /** Markers shrunk per apply at most, so the shrink list never makes a script large. */
  readonly maxShrinkPerApply: number;
}

/** What the flusher reaches beyond the nodes: job ownership, node identities, replicas, the held jobs. */
export interface FlusherContext {
  readonly leases: JobLeases;
  readonly identities: NodeIdentities;
  /** When an apply counts as durable (COUNTD_MIN_REPLICAS). */
  readonly replicas: ReplicaAcks;
  /** The owner of the held jobs' state, told what became of their parts. */
  readonly jobs: HeldJobOutcomes;
}

/** Events: `flushed` ({ node, counters, commands, jobs, seconds }), `error` (flush attempt failed, retried). */
export interface FlusherEvents {
  flushed: [{ node: string; counters: number; commands: number; jobs: number; seconds: number }];
  error: [Error & { node?: string; attempt?: number }];
  refused: [{ node: string; counter: string; error: string; jobs: readonly string[] }];
  /** Held jobs found to be another worker's (their locks expired while this one was stopped). */
  lost: [{ jobs: readonly string[] }];
  /** A node refused an apply because it is fenced for a newer ring `version`: follow the ring. */
  fenced: [{ node: string; version: number }];
}
