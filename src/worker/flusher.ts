import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import pLimit, { type LimitFunction } from 'p-limit';
import type { WorkerMetrics } from '../metrics/index.js';
import type { FlushBuffer } from './flush-buffer.js';
import type { FlushGroup } from './flush-group.js';
import type { HeldJob } from './held-job.js';
import type { NodeWriter } from './node-writer.js';

export interface FlusherOptions {
  /** Storage nodes applied to at once. */
  readonly parallelism: number;
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
  /** Markers shrunk per apply at most, so the shrink list never makes a script large. */
  readonly maxShrinkPerApply: number;
}

/** Events: `flushed` ({ node, counters, commands, jobs, seconds }), `error` (flush attempt failed, retried). */
export interface FlusherEvents {
  flushed: [{ node: string; counters: number; commands: number; jobs: number; seconds: number }];
  error: [Error & { node?: string; attempt?: number }];
  refused: [{ node: string; counter: string; error: string; jobs: readonly string[] }];
}

/**
 * Moves buffered groups to their nodes. Each node has at most one flush running; a flush asked
 * for while one runs is remembered and runs right after it, so an overrunning flush neither
 * overlaps the next one nor makes it skip. A failed apply is retried with backoff until it
 * succeeds or the flusher is abandoned: the jobs stay held meanwhile, and the markers make a
 * retry of an apply that did land count nothing twice.
 */
export class Flusher extends EventEmitter<FlusherEvents> {
  private readonly limit: LimitFunction;
  private readonly running: Array<Promise<void> | undefined>;
  private readonly requested: boolean[];
  private readonly shrink: string[][];
  private abandoned = false;
  private readonly abandon$ = new AbortController();

  constructor(
    private readonly buffer: FlushBuffer,
    private readonly writers: readonly NodeWriter[],
    private readonly nodeIndexOf: (name: string) => number,
    private readonly onJobDone: (job: HeldJob) => void,
    private readonly options: FlusherOptions,
    private readonly metrics?: WorkerMetrics,
  ) {
    super();
    this.limit = pLimit(options.parallelism);
    this.running = writers.map(() => undefined);
    this.requested = writers.map(() => false);
    this.shrink = writers.map(() => []);
  }

  /** Flushes every node that has buffered work; resolves when those flushes are done. */
  async flushAll(): Promise<void> {
    const runs: Promise<void>[] = [];
    for (let n = 0; n < this.writers.length; n++) {
      if (this.buffer.hasWork(n) || this.running[n] !== undefined) runs.push(this.flushNode(n));
    }
    this.buffer.resetJobsSinceFlush();
    await Promise.all(runs);
  }

  /** True while any node flush is in progress. */
  get busy(): boolean {
    return this.running.some((r) => r !== undefined);
  }

  /**
   * Stops retrying: groups not applied yet stay unapplied and their jobs stay held (they will
   * be redelivered by the queue). Used when the shutdown deadline passes.
   */
  abandon(): void {
    this.abandoned = true;
    this.abandon$.abort();
  }

  private flushNode(n: number): Promise<void> {
    const current = this.running[n];
    if (current !== undefined) {
      this.requested[n] = true;
      return current;
    }
    const run = (async () => {
      do {
        this.requested[n] = false;
        for (const group of this.buffer.take(n)) {
          if (this.abandoned) return;
          await this.applyGroup(n, group);
        }
      } while (this.requested[n] && !this.abandoned);
    })().finally(() => {
      this.running[n] = undefined;
    });
    this.running[n] = run;
    return run;
  }

  private async applyGroup(n: number, group: FlushGroup): Promise<void> {
    const writer = this.writers[n]!;
    const node = writer.node;
    const started = performance.now();
    const shrink = this.shrink[n]!.splice(0, this.options.maxShrinkPerApply);
    let attempt = 0;
    while (group.jobs.length > 0) {
      let outcome;
      try {
        outcome = await this.limit(() => writer.apply(group, shrink));
      } catch (err) {
        attempt++;
        const error = Object.assign(err instanceof Error ? err : new Error(String(err)), {
          node,
          attempt,
        });
        this.metrics?.flushErrors.inc({ node, reason: classify(error) });
        this.emit('error', error);
        if (this.abandoned) return;
        await this.backoff(attempt);
        if (this.abandoned) return;
        continue;
      }
      if (outcome.kind === 'duplicates') {
        this.dropAppliedJobs(n, group, outcome.jobIndexes);
        continue;
      }
      shrink.length = 0;
      for (const refused of outcome.refused)
        this.markRefused(node, group, refused.counter, refused.error);
      const seconds = (performance.now() - started) / 1000;
      this.metrics?.storageCommands.inc({ node }, outcome.commands);
      this.metrics?.flushDuration.observe({ node }, seconds);
      this.metrics?.flushBatchCounters.observe(group.size);
      this.emit('flushed', {
        node,
        counters: group.size,
        commands: outcome.commands,
        jobs: group.jobs.length,
        seconds,
      });
      for (const job of group.jobs) this.partDone(job);
      break;
    }
    // Shrink requests not sent (abandoned) are dropped: those markers simply keep their long TTL.
    this.buffer.release(group);
  }

  /** Jobs whose marker already exists on this node: their part is applied; take them out and retry. */
  private dropAppliedJobs(n: number, group: FlushGroup, indexes: readonly number[]): void {
    const node = this.writers[n]!.node;
    const applied = new Set(indexes.map((i) => group.jobs[i]));
    const remaining = group.jobs.filter((job) => !applied.has(job));
    this.metrics?.duplicatePartsSkipped.inc({ node }, applied.size);
    group.rebuild(remaining, (name) => this.nodeIndexOf(name) === n);
    for (const job of applied) if (job !== undefined) this.partDone(job);
  }

  private markRefused(node: string, group: FlushGroup, counter: string, error: string): void {
    const jobs: string[] = [];
    for (const job of group.jobs) {
      if (job.payload.c.some(([name]) => name === counter)) {
        (job.refused ??= []).push(`${counter} on node ${node}: ${error}`);
        jobs.push(job.id);
      }
    }
    this.emit('refused', { node, counter, error, jobs });
  }

  private partDone(job: HeldJob): void {
    if (!job.partApplied()) return;
    for (const n of job.nodes) this.shrink[n]!.push(job.id);
    this.onJobDone(job);
  }

  private async backoff(attempt: number): Promise<void> {
    const { retryMinMs, retryMaxMs } = this.options;
    const ceiling = Math.min(retryMaxMs, retryMinMs * 2 ** Math.min(attempt - 1, 20));
    // Full jitter: workers that lost the same node do not retry in lockstep.
    const ms = retryMinMs + Math.random() * (ceiling - retryMinMs);
    await sleep(ms, undefined, { signal: this.abandon$.signal }).catch(() => undefined);
  }
}

/** Every value {@link classify} returns: the bounded label set of flush_errors_total{reason}. */
export const FLUSH_ERROR_REASONS = [
  'timeout',
  'connection',
  'oom',
  'busy',
  'readonly',
  'loading',
  'auth',
  'other',
] as const;

/** A short, bounded label for flush_errors_total{reason}. */
export function classify(error: Error): string {
  const text = `${(error as { code?: string }).code ?? ''} ${error.message}`;
  if (/timed out|timeout/i.test(text)) return 'timeout';
  if (/ECONNREFUSED|ECONNRESET|EPIPE|closed|writeable|ENOTFOUND|EHOSTUNREACH|connect/i.test(text))
    return 'connection';
  if (/^\s*OOM|\bOOM\b/.test(text)) return 'oom';
  if (/\bBUSY\b/.test(text)) return 'busy';
  if (/READONLY/.test(text)) return 'readonly';
  if (/LOADING/.test(text)) return 'loading';
  if (/NOAUTH|WRONGPASS|NOPERM/.test(text)) return 'auth';
  return 'other';
}
