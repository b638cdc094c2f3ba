/**
 * Jobs the queue may hand out beyond those held: BullMQ fetches (and parses) up to its
 * concurrency before it runs the first processor, so with all of `concurrency` open, thousands of
 * parsed payloads sat in memory at once after every flush (docs/performance.md, "Worker memory").
 * BullMQ fetches one job at a time anyway: a few are enough to keep it busy.
 */
export const UNPLACED_JOBS = 32;

/** The limits that decide when the worker flushes early and when it stops taking jobs. */
export interface BackpressureLimits {
  readonly maxBufferCounters: number;
  /** A flush is due at this many bytes; at twice as many the worker stops taking jobs. */
  readonly maxBufferBytes: number;
  /** Jobs held at once (BullMQ's concurrency). */
  readonly concurrency: number;
}

/** What is buffered and held right now. */
export interface BufferLoad {
  readonly counters: number;
  /** Buffered counters' and held jobs' bytes together. */
  readonly bytes: number;
  /** Jobs taken since the last flush started. */
  readonly jobsSinceFlush: number;
  /** Jobs held (buffered, not yet durable). */
  readonly held: number;
}

/** What backpressure acts on. */
export interface BackpressureControl {
  /** Starts a flush of everything buffered. */
  flush(): void;
  /** Stops taking jobs from the queue (the jobs being processed go on). */
  pause(): void;
  resume(): void;
  /** Sets how many jobs the queue may have handed out at once (BullMQ's concurrency). */
  admit(jobs: number): void;
}

/**
 * When to flush before the interval and when to stop taking jobs. Memory stays bounded
 * whatever a node does: past twice the byte limit the queue keeps the jobs until the buffer
 * drains below the limit; the gap between the two keeps the worker from pausing and resuming
 * on every job.
 */
export class Backpressure {
  private paused = false;
  private full = false;
  private suspended = false;
  private stopped = false;
  private admitted = 0;

  constructor(
    private readonly limits: BackpressureLimits,
    private readonly control: BackpressureControl,
  ) {
    this.admit(0);
  }

  /** A job was taken: flushes when a limit is reached, pauses at twice the byte limit. */
  taken(load: BufferLoad): void {
    this.admit(load.held);
    if (this.flushDue(load)) this.control.flush();
    if (!this.full && load.bytes >= 2 * this.limits.maxBufferBytes) {
      this.full = true;
      this.apply();
    }
  }

  /** Jobs were let go: takes jobs again once below the byte limit, unless stopping. */
  released(load: Pick<BufferLoad, 'bytes' | 'held'>): void {
    this.admit(load.held);
    if (this.full && load.bytes < this.limits.maxBufferBytes) {
      this.full = false;
      this.apply();
    }
  }

  /** Stops taking jobs whatever the load (the worker switches to a newer ring version). */
  suspend(): void {
    this.suspended = true;
    this.apply();
  }

  /** Ends {@link suspend}: jobs are taken again unless the load or a stop says otherwise. */
  unsuspend(load: Pick<BufferLoad, 'bytes' | 'held'>): void {
    this.suspended = false;
    this.released(load);
    this.apply();
  }

  /** The worker is closing: it never resumes taking jobs. */
  stop(): void {
    this.stopped = true;
  }

  /** The held jobs plus a few unplaced ones, within the concurrency. */
  private admit(held: number): void {
    const jobs = Math.max(1, Math.min(this.limits.concurrency, held + UNPLACED_JOBS));
    if (jobs === this.admitted) return;
    this.admitted = jobs;
    this.control.admit(jobs);
  }

  /** Pauses or resumes so that jobs are taken exactly while nothing holds them back. */
  private apply(): void {
    const pause = this.full || this.suspended;
    if (pause && !this.paused) {
      this.paused = true;
      this.control.pause();
    } else if (!pause && this.paused && !this.stopped) {
      this.paused = false;
      this.control.resume();
    }
  }

  /**
   * Half the concurrency taken since the last flush triggers one: held jobs then complete
   * before BullMQ runs out of slots to hand out more.
   */
  private flushDue(load: BufferLoad): boolean {
    const { maxBufferCounters, maxBufferBytes, concurrency } = this.limits;
    return (
      load.counters >= maxBufferCounters ||
      load.bytes >= maxBufferBytes ||
      load.jobsSinceFlush >= Math.max(1, Math.floor(concurrency / 2))
    );
  }
}
