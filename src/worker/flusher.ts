import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import pLimit, { type LimitFunction } from 'p-limit';
import type { JobPayload } from '../jobs/index.js';
import type { WorkerMetrics } from '../metrics/index.js';
import { backoffDelay } from '../retry/index.js';
import { classifyFlushError, type FlushErrorReason } from './classify-flush-error.js';
import type { FlushBuffer } from './flush-buffer.js';
import type { FlushGroup } from './flush-group.js';
import type { HeldJob, UnappliedIncrement } from './held-job.js';
import type { FlusherContext, FlusherEvents, FlusherOptions } from './flusher-options.js';
import type { NodeWriter, RefusalRecord } from './node-writer.js';
import { asError } from './as-error.js';

export type { FlusherContext, FlusherEvents, FlusherOptions } from './flusher-options.js';

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
  private readonly abandon$ = new AbortController();
  private applySeq = 0;
  private readonly applyPrefix = Math.random().toString(36).slice(2, 10);

  constructor(
    private readonly buffer: FlushBuffer,
    private readonly writers: readonly NodeWriter[],
    private readonly nodeIndexOf: (name: string) => number,
    private readonly context: FlusherContext,
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

  /**
   * Stops retrying: groups not applied yet stay unapplied and their jobs stay held (they will
   * be redelivered by the queue). Used when the shutdown deadline passes.
   */
  abandon(): void {
    this.abandon$.abort();
  }

  private get abandoned(): boolean {
    return this.abandon$.signal.aborted;
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
    const failed = async (
      error: Error & { node?: string; attempt?: number },
      reason: FlushErrorReason = classifyFlushError(error),
    ) => {
      attempt++;
      Object.assign(error, { node, attempt });
      this.metrics?.flushErrors.inc({ node, reason });
      this.emit('error', error);
      if (!this.abandoned) await this.backoff(attempt);
    };
    while (!this.abandoned) {
      let outcome;
      try {
        await this.dropLostJobs(n, group);
        if (group.jobs.length === 0) break;
        const lease = await this.context.leases.cover(group.jobs);
        if (lease.lost.length > 0) {
          this.loseJobs(lease.lost);
          continue;
        }
        const access = {
          identity: await this.context.identities.ensure(n),
          deadline: lease.deadline,
          applyId: `${this.applyPrefix}-${++this.applySeq}`,
        };
        outcome = await this.limit(() => writer.apply(group, shrink, access));
      } catch (err) {
        await failed(asError(err));
        continue;
      }
      if (outcome.kind === 'applied' || outcome.kind === 'duplicates') {
        // Durable only once enough replicas hold it; until then the group keeps every job, so
        // the retry finds them applied (and waits again) or, on a promoted replica that never
        // got this apply, applies them again, once.
        try {
          await this.context.replicas.confirm(writer, outcome.kind === 'duplicates');
        } catch (err) {
          await failed(asError(err));
          continue;
        }
        this.metrics?.lastFlush.set({ node }, Date.now() / 1000);
      }
      if (outcome.kind === 'expired') {
        // The node saw the lease end before the apply ran: claim again (which finds out whether
        // the jobs are still this worker's) and retry; nothing was written.
        this.context.leases.expire(group.jobs);
        await failed(
          new Error(
            `lease ended before the apply ran (node clock ${outcome.nodeNow}, deadline ` +
              `${outcome.deadline}): the worker was stopped or the node was slow; claiming again`,
          ),
          'lease',
        );
        continue;
      }
      if (outcome.kind === 'identity') {
        let check;
        try {
          check = await this.context.identities.recheck(n, outcome.found);
        } catch (err) {
          await failed(asError(err));
          continue;
        }
        if (check.kind === 'refused') await failed(check.error);
        else if (check.kind === 'behind')
          await failed(
            new Error(
              `node holds ring version ${check.version}, not yet this worker's ` +
                `${writer.version}: the change fencing it is under way; retrying`,
            ),
            'identity',
          );
        else if (check.kind === 'fenced') {
          // Not a failure of the node: this worker's ring is stale. It follows the ring (the
          // event), and this group, never to be applied under this version, waits to be released.
          attempt++;
          this.metrics?.ringFencedApplies.inc({ node });
          this.emit('fenced', { node, version: check.version });
          if (!this.abandoned) await this.backoff(attempt);
        }
        continue;
      }
      if (outcome.kind === 'duplicates') {
        // A failure here changed nothing: the retry finds the same markers.
        await this.dropAppliedJobs(n, group, outcome.parts).catch((err: unknown) =>
          failed(asError(err)),
        );
        continue;
      }
      shrink.length = 0;
      if (outcome.refused.length > 0) await this.recordRefusals(node, n, group, outcome.refused);
      // A time-bucket field refused leaves its increments applied (their totals): reported only.
      for (const r of outcome.bucketRefused)
        this.emit('refused', { node, counter: r.counter, error: r.error, jobs: [] });
      for (const { granularity, writes } of outcome.bucketWrites)
        if (writes > 0) this.metrics?.rollupBucketWrites.inc({ granularity }, writes);
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
      for (const job of group.jobs) this.context.jobs.partApplied(job);
      break;
    }
    // Shrink requests not sent (abandoned) are dropped: those markers simply keep their long TTL.
    this.buffer.release(group);
  }

  /** Takes jobs known to be lost out of the group (their deltas with them). */
  private async dropLostJobs(n: number, group: FlushGroup): Promise<void> {
    if (!group.jobs.some((job) => job.lost)) return;
    await this.rebuild(
      n,
      group,
      group.jobs.filter((job) => !job.lost),
    );
  }

  /**
   * Rebuilds `group` from `jobs`, their payloads read again from the queue. A job the queue no
   * longer has was completed by another worker: it is lost here, and left out.
   */
  private async rebuild(n: number, group: FlushGroup, jobs: readonly HeldJob[]): Promise<void> {
    const payloads = await this.payloads(jobs);
    const kept: Array<{ job: HeldJob; payload: JobPayload }> = [];
    const gone: HeldJob[] = [];
    jobs.forEach((job, i) => {
      const payload = payloads[i];
      if (payload === undefined) gone.push(job);
      else kept.push({ job, payload });
    });
    if (gone.length > 0) this.loseJobs(gone);
    group.rebuild(kept, (name) => this.nodeIndexOf(name) === n);
  }

  /** The payloads of `jobs` (see `HeldJobOutcomes.payloadOf`); undefined for a job gone. */
  private payloads(jobs: readonly HeldJob[]): Promise<Array<JobPayload | undefined>> {
    return Promise.all(jobs.map((job) => this.context.jobs.payloadOf(job)));
  }

  private loseJobs(jobs: readonly HeldJob[]): void {
    this.context.jobs.lost(jobs);
    this.emit('lost', { jobs: jobs.map((job) => job.id) });
  }

  /** Jobs whose marker already exists on this node: their part is applied; take them out and retry. */
  private async dropAppliedJobs(
    n: number,
    group: FlushGroup,
    parts: ReadonlyArray<{ readonly job: number; readonly refused: RefusalRecord }>,
  ): Promise<void> {
    const node = this.writers[n]!.node;
    const applied = new Map<HeldJob, RefusalRecord>();
    for (const part of parts) {
      const job = group.jobs[part.job];
      if (job !== undefined) applied.set(job, part.refused);
    }
    // Read before anything changes: a failed read leaves the group as it was, for the retry.
    const withRefusals = [...applied].filter(([, r]) => r !== undefined && r.size > 0);
    const refusedPayloads = await this.payloads(withRefusals.map(([job]) => job));
    const remaining = group.jobs.filter((job) => !applied.has(job));
    await this.rebuild(n, group, remaining);
    this.metrics?.duplicatePartsSkipped.inc({ node }, applied.size);
    const payloadOf = new Map(withRefusals.map(([job], i) => [job, refusedPayloads[i]]));
    for (const [job, refused] of applied) {
      if (refused === undefined) {
        // The record of what that apply refused expired (it lives as long as a marker does):
        // say so rather than complete the job as if all was applied.
        this.context.jobs.refused(job, [
          {
            name: '?',
            delta: 0,
            node,
            error: 'its part was applied earlier; what that apply refused is no longer known',
          },
        ]);
      } else if (refused.size > 0) {
        this.recordUnapplied(job, payloadOf.get(job), n, node, refused);
      }
      this.context.jobs.partApplied(job);
    }
  }

  /**
   * Refused fields are refused whole (apply-group.lua): every delta of them in the group is
   * unapplied. The apply is done: a payload that cannot be read again is reported as unknown.
   */
  private async recordRefusals(
    node: string,
    n: number,
    group: FlushGroup,
    refusedList: ReadonlyArray<{ readonly counter: string; readonly error: string }>,
  ): Promise<void> {
    const refused = new Map(refusedList.map((r) => [r.counter, r.error]));
    const jobsOf = new Map<string, string[]>();
    const payloads = await this.payloads(group.jobs).catch(() => group.jobs.map(() => undefined));
    for (const [i, job] of group.jobs.entries()) {
      for (const name of this.recordUnapplied(job, payloads[i], n, node, refused)) {
        let list = jobsOf.get(name);
        if (list === undefined) jobsOf.set(name, (list = []));
        list.push(job.id);
      }
    }
    for (const [counter, error] of refused)
      this.emit('refused', { node, counter, error, jobs: jobsOf.get(counter) ?? [] });
  }

  /**
   * Reports `job`'s pairs on node `n` that `refused` names as unapplied; returns their names.
   * Without its payload (the queue could not give it back) the job's refusals are unknown.
   */
  private recordUnapplied(
    job: HeldJob,
    payload: JobPayload | undefined,
    n: number,
    node: string,
    refused: ReadonlyMap<string, string>,
  ): string[] {
    if (payload === undefined) {
      this.context.jobs.refused(job, [
        { name: '?', delta: 0, node, error: 'its payload could not be read back from the queue' },
      ]);
      return [];
    }
    const unapplied: UnappliedIncrement[] = [];
    for (const [name, delta, minute] of payload.c) {
      const error = refused.get(name);
      if (error === undefined || this.nodeIndexOf(name) !== n) continue;
      unapplied.push({ name, delta, node, error, ...(minute === undefined ? {} : { minute }) });
    }
    if (unapplied.length > 0) this.context.jobs.refused(job, unapplied);
    return unapplied.map((u) => u.name);
  }

  /**
   * The job is completed (or failed) in the queue: its markers on `nodes` may shrink to the
   * grace TTL, piggybacked on the next apply to each node. Only then: a job whose completion
   * did not reach the queue is redelivered, and its markers must still be there to meet it.
   */
  shrinkMarkers(jobId: string, nodes: readonly number[]): void {
    for (const n of nodes) this.shrink[n]!.push(jobId);
  }

  private async backoff(attempt: number): Promise<void> {
    const ms = backoffDelay(attempt, this.options.retry);
    // Abandoning cuts the wait short: the shutdown deadline does not wait for a retry.
    await sleep(ms, undefined, { signal: this.abandon$.signal }).catch(() => undefined);
  }
}
