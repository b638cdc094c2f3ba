import { setTimeout as sleep } from 'node:timers/promises';
import { UnrecoverableError, WaitingError, type Job } from 'bullmq';
import { MalformedJobError } from '../errors/index.js';
import {
  incrementCount,
  jobInstance,
  pairMinute,
  parseJobPayload,
  type JobPair,
  type JobPayload,
} from '../jobs/index.js';
import type { WorkerMetrics } from '../metrics/index.js';
import { asError } from './as-error.js';
import type { ScreenedPairs } from './from-markers.js';
import { HeldJob, type UnappliedIncrement } from './held-job.js';
import { HeldJobs } from './held-jobs.js';
import { unappliedReason } from './unapplied-reason.js';

const SHUTDOWN_RELEASE = 'released at the shutdown deadline; redelivered once its lock expires';
const LOST = 'its lock expired while this worker held it: another worker owns it now';
const SWITCHED = 'released: the worker switched to a newer ring version';

// Rough heap cost of one held [name, delta] pair beyond the name's characters: kept only for a
// job a ring change's trap shortened.
const PAIR_OVERHEAD_BYTES = 56;
// Rough heap cost of a held job without its pairs: BullMQ's Job, its lock entry, the HeldJob.
const HELD_JOB_BYTES = 2048;

/** What the flusher reports about held jobs; {@link HeldJobLifecycle} decides what follows. */
export interface HeldJobOutcomes {
  /** One part of `job` is durable (or refused); after the last one the job is completed or failed. */
  partApplied(job: HeldJob): void;
  /** A node refused these increments of `job`: it fails with them once its parts are done. */
  refused(job: HeldJob, increments: readonly UnappliedIncrement[]): void;
  /** `jobs` turned out to be another worker's: let them go without completing them. */
  lost(jobs: readonly HeldJob[]): void;
  /**
   * The job's payload as it was buffered: kept, or read again from the queue (the parsed pairs
   * are dropped once buffered). Undefined when the queue no longer has the job.
   */
  payloadOf(job: HeldJob): Promise<JobPayload | undefined>;
}

/** What the lifecycle tells the worker around it. */
export interface HeldJobHooks {
  /** A job was taken and buffered: limits may be reached. */
  held(): void;
  /** A held job was let go (done or lost): room may have been made. */
  released(): void;
  /** The queue confirmed `jobId` completed or failed: its markers on `nodes` may shrink. */
  confirmed(jobId: string, nodes: readonly number[]): void;
  jobFailed(event: { jobId: string; reason: string }): void;
  queueError(error: Error): void;
}

/** Where received jobs go: the storage of the ring version the worker writes under now. */
export interface JobPlacer {
  /** True once a newer version took over: a job not placed yet goes to the next placer. */
  readonly retired: boolean;
  /** The job's pairs still to apply (a ring change's trap); undefined when retired meanwhile. */
  screen(
    jobId: string,
    instance: string,
    pairs: readonly JobPair[],
  ): Promise<ScreenedPairs | undefined>;
  /** Buffers the job's `payload`; returns the indexes of the nodes it has a part on. */
  place(job: HeldJob, payload: JobPayload): number[];
}

export interface HeldJobLifecycleSettings {
  /** BullMQ's lock key of a job id. */
  readonly lockKeyOf: (jobId: string) => string;
  /** The job's stored `data` as the queue holds it; null when the job is gone. */
  readonly loadData: (jobId: string) => Promise<string | null>;
  readonly lockDurationMs: number;
  readonly metrics?: WorkerMetrics;
}

/**
 * A job's life in this worker: received from BullMQ, held (its processor promise pending)
 * while its parts are flushed, then completed, failed with what a node refused, or let go when
 * another worker owns it. The one writer of {@link HeldJob} state: the flusher reports what
 * became of parts ({@link HeldJobOutcomes}) and this decides what follows.
 */
export class HeldJobLifecycle implements HeldJobOutcomes {
  private readonly heldJobs = new HeldJobs();
  /** Jobs done here whose completion the queue has not confirmed yet: id -> nodes of its parts. */
  private readonly completing = new Map<string, { nodes: readonly number[]; at: number }>();
  private abandoned = false;

  /** BullMQ's job of each held job: releasing one moves it back to wait by its lock token. */
  private readonly queueJobs = new WeakMap<HeldJob, Job>();

  constructor(
    /** The current placer; pending while the worker switches ring versions. */
    private readonly placer: () => Promise<JobPlacer>,
    private readonly settings: HeldJobLifecycleSettings,
    private readonly hooks: HeldJobHooks,
  ) {}

  /** Jobs currently held (not yet durable everywhere). */
  get count(): number {
    return this.heldJobs.count;
  }

  /** Approximate heap bytes of the held jobs' payloads. */
  get bytes(): number {
    return this.heldJobs.bytes;
  }

  /** Age of the oldest increment held; 0 when none is. */
  oldestAgeSeconds(): number {
    return this.heldJobs.oldestAgeSeconds();
  }

  /** BullMQ's processor: settles once the job's increments are durable (or refused, or lost). */
  async receive(job: Job, token: string | undefined): Promise<void> {
    const held = await this.hold(job, token);
    if (held === undefined) return;
    try {
      await held.done;
    } catch (err) {
      if (held.unapplied.length > 0) await this.recordUnapplied(job, held);
      throw err;
    }
  }

  /**
   * Parses, screens and buffers a job; undefined when it carries nothing. Its own function so
   * that no variable of the long wait in {@link receive} keeps the parsed payload alive.
   */
  private async hold(job: Job, token: string | undefined): Promise<HeldJob | undefined> {
    // A job handed out while the shutdown deadline passed is released like the held ones.
    if (this.abandoned) throw new WaitingError(SHUTDOWN_RELEASE);
    const metrics = this.settings.metrics;
    metrics?.jobsReceived.inc();
    const jobId = job.id ?? `${job.name}-unknown`;
    let payload: JobPayload;
    try {
      payload = parseJobPayload(job.data, jobId);
    } catch (err) {
      const reason = err instanceof MalformedJobError ? err.reason : String(err);
      metrics?.jobsFailed.inc({ reason: 'malformed' });
      this.hooks.jobFailed({ jobId, reason });
      throw new UnrecoverableError(err instanceof Error ? err.message : reason);
    }
    metrics?.incrementsReceived.inc(incrementCount(payload));
    if (payload.c.length === 0) return undefined;
    const instance = jobInstance(job.data, { id: jobId, timestamp: job.timestamp });
    let placer: JobPlacer;
    let screened: ScreenedPairs | undefined;
    do {
      placer = await this.placer();
      screened = await placer.screen(jobId, instance, payload.c);
    } while (screened === undefined || placer.retired);
    if (this.abandoned) throw new WaitingError(SHUTDOWN_RELEASE);
    const pairs = screened.pairs;
    // Counters applied under an earlier ring version (the trap) are not part of the held job:
    // the change moves their sums. Such a shortened payload is kept (the queue has the whole
    // one); any other is read again from the queue on the rare paths that need it.
    const whole = pairs.length === payload.c.length;
    let bytes = HELD_JOB_BYTES;
    if (!whole) for (const [name] of pairs) bytes += name.length * 2 + PAIR_OVERHEAD_BYTES;
    const placed = whole ? payload : { ...payload, c: [...pairs] };
    const held = new HeldJob(jobId, placed, bytes, {
      token: token ?? '',
      lockKey: this.settings.lockKeyOf(jobId),
      instance,
    });
    if (screened.unapplied.length > 0) held.addUnapplied(screened.unapplied);
    // BullMQ keeps its Job for as long as the processor runs: its parsed data goes too.
    (job as { data: unknown }).data = undefined;
    if (pairs.length === 0) {
      held.placed([]);
      this.done(held);
    } else {
      held.placed(placer.place(held, placed));
      if (whole) held.forgetPayload();
      this.heldJobs.add(held);
      this.queueJobs.set(held, job);
      this.hooks.held();
    }
    return held;
  }

  async payloadOf(job: HeldJob): Promise<JobPayload | undefined> {
    return job.payload ?? (await this.stored(job.id))?.payload;
  }

  /** The job as the queue stores it now: its data and the payload parsed from it. */
  private async stored(
    jobId: string,
  ): Promise<{ data: Record<string, unknown>; payload: JobPayload } | undefined> {
    const raw = await this.settings.loadData(jobId);
    if (raw === null) return undefined;
    const data = JSON.parse(raw) as Record<string, unknown>;
    return { data, payload: parseJobPayload(data, jobId) };
  }

  partApplied(job: HeldJob): void {
    if (job.partApplied()) this.done(job);
  }

  refused(job: HeldJob, increments: readonly UnappliedIncrement[]): void {
    job.addUnapplied(increments);
  }

  /** Held jobs are another worker's now: forget them without completing or failing them. */
  lost(jobs: readonly HeldJob[]): void {
    for (const job of jobs) {
      // Already let go (released at a ring switch): nothing more to count.
      if (job.lost) continue;
      job.markLost();
      this.heldJobs.remove(job);
      this.settings.metrics?.jobsLost.inc();
      // WaitingError: BullMQ leaves the job alone (it is active under the new owner's lock).
      job.finish(new WaitingError(LOST));
      this.hooks.released();
    }
  }

  /** BullMQ's `completed` and `failed` events: the queue confirmed the job is done. */
  settled(job: Job | undefined): void {
    const id = job?.id;
    const entry = id === undefined ? undefined : this.completing.get(id);
    if (entry === undefined || id === undefined) return;
    this.completing.delete(id);
    this.hooks.confirmed(id, entry.nodes);
  }

  /**
   * The shutdown deadline passed: releases every held job (and any handed out later) without
   * completing or failing it. On a WaitingError BullMQ leaves the job active and stops renewing
   * its lock, so its stalled check redelivers it (the markers make that safe for parts already
   * applied).
   */
  releaseAll(): void {
    this.abandoned = true;
    for (const job of this.heldJobs.jobs()) job.finish(new WaitingError(SHUTDOWN_RELEASE));
  }

  /**
   * The worker switched ring versions: every held job goes back to wait at once
   * (`moveToWait` by this worker's lock token, BullMQ 6.7's `Job.moveToWait`), its processor
   * settled with a WaitingError so BullMQ leaves it there. Its parts not applied under the old
   * version are never applied by this worker; whoever takes it next screens it against the
   * old version's markers. A job the move fails for (its lock gone) is redelivered by BullMQ's
   * stalled check once its lock expires.
   */
  async releaseHeld(): Promise<number> {
    const jobs = [...this.heldJobs.jobs()];
    // Completions not confirmed yet name nodes of the old version: their markers keep their TTL.
    this.completing.clear();
    await Promise.all(
      jobs.map(async (held) => {
        held.markLost();
        this.heldJobs.remove(held);
        const job = this.queueJobs.get(held);
        if (job !== undefined && held.token !== '')
          await job
            .moveToWait(held.token)
            .catch((err: unknown) => this.hooks.queueError(asError(err)));
        held.finish(new WaitingError(SWITCHED));
      }),
    );
    if (jobs.length > 0) this.hooks.released();
    return jobs.length;
  }

  private done(job: HeldJob): void {
    const metrics = this.settings.metrics;
    this.heldJobs.remove(job);
    this.awaitConfirmation(job);
    this.hooks.released();
    metrics?.lag.observe(Math.max(0, Date.now() - job.producedAt) / 1000);
    if (job.unapplied.length === 0) {
      metrics?.incrementsFlushed.inc(job.increments);
      job.finish();
      return;
    }
    const applied = job.pairCount - job.unapplied.length;
    metrics?.incrementsFlushed.inc(Math.max(0, applied));
    metrics?.jobsFailed.inc({ reason: 'refused' });
    const reason = unappliedReason(job.unapplied);
    this.hooks.jobFailed({ jobId: job.id, reason });
    job.finish(new UnrecoverableError(reason));
  }

  /**
   * Markers shrink only once the queue confirmed the completion (see `Flusher.shrinkMarkers`),
   * so the job's nodes are kept until then.
   */
  private awaitConfirmation(job: HeldJob): void {
    const now = performance.now();
    // A completion that never got through leaves its entry; it goes once far past the lock
    // (the job was redelivered by then, and its markers keep their long TTL: no harm).
    for (const [id, entry] of this.completing) {
      if (now - entry.at < 4 * this.settings.lockDurationMs) break;
      this.completing.delete(id);
    }
    this.completing.set(job.id, { nodes: job.nodes, at: now });
  }

  /**
   * Writes into the failed job what was not applied (`r`), so `countd failed retry` applies
   * exactly that. Retried a few times: without it a retry could not tell applied from not.
   */
  private async recordUnapplied(job: Job, held: HeldJob): Promise<void> {
    // A part whose refusals are no longer known leaves `r` unwritten: `failed retry` then
    // refuses the job rather than re-apply a guess.
    if (held.unapplied.some((u) => u.name === '?')) return;
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        // The stored data, not a parsed form: the update keeps it (flat `c` in version 2).
        const stored = await this.stored(held.id);
        if (stored === undefined) return;
        const { data, payload } = stored;
        // Version 2 records each pair's minute, so a retry counts it in its buckets.
        const r = held.unapplied.map((u): JobPair =>
          payload.v === 1
            ? [u.name, u.delta]
            : [u.name, u.delta, u.minute ?? pairMinute(payload, [u.name, u.delta])],
        );
        await job.updateData({ ...data, r });
        return;
      } catch (err) {
        if (attempt === 3) this.hooks.queueError(asError(err));
        else await sleep(100 * attempt);
      }
    }
  }
}
