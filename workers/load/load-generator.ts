import { setTimeout as sleep } from 'node:timers/promises';
import { ConfirmedTotals } from './confirmed-totals.js';
import { CounterNames, LoadStream } from './load-stream.js';
import { TokenBucket } from './token-bucket.js';
import { ZipfSampler } from './zipf.js';

/** Where increments go: a {@link Producer} fits. One promise per batch, shared by its increments. */
export interface IncrementSink {
  increment(name: string, by: number): Promise<void>;
  /** Sends what lingers; resolves or rejects once everything taken is settled. */
  flush(): Promise<void>;
  /** Increments taken and not yet settled: tells an accepted increment from a refused one. */
  readonly pendingIncrements: number;
}

/** Options of {@link LoadGenerator}. */
export interface LoadGeneratorOptions {
  /** Increments to send, split evenly over the sinks. */
  readonly total: number;
  /** Distinct counters, named `<namePrefix>:<index>`. */
  readonly counters: number;
  /** Zipf exponent s: P(index i) ∝ 1/(i+1)^s; 0 is uniform. @defaultValue `0` */
  readonly zipf?: number;
  /** Same seed, same increments. @defaultValue `1` */
  readonly seed?: number;
  /** @defaultValue `'load'` */
  readonly namePrefix?: string;
  /** Increments per second over all sinks; 0 or undefined: as fast as the sinks take them. */
  readonly rate?: number;
  /**
   * Increments per sink sent but not yet confirmed or failed; past it the generator waits.
   * Keep it at or below the producer's `maxPendingIncrements`, so the producer never refuses.
   * @defaultValue `500_000`
   */
  readonly maxUnconfirmed?: number;
  /** Aborting stops generating; what was sent is still flushed and settled. */
  readonly signal?: AbortSignal;
}

/** Figures of a run so far. */
export interface LoadProgress {
  readonly total: number;
  /** Increments handed to a sink. */
  readonly sent: number;
  /** Increments whose batch the queue confirmed. */
  readonly confirmed: number;
  /** Increments refused or whose batch failed. */
  readonly failed: number;
  readonly seconds: number;
}

/** The outcome of {@link LoadGenerator.run}. */
export interface LoadResult extends LoadProgress {
  /** True when the signal stopped the run before `total` was sent. */
  readonly stopped: boolean;
  /** Confirmed increments per second, over the whole run (until every batch settled). */
  readonly incrementsPerSecond: number;
  /** Batches confirmed / failed (a batch is one job on the queue). */
  readonly batches: number;
  readonly failedBatches: number;
  /** The first distinct error messages of failed batches. */
  readonly errors: readonly string[];
}

const PENDING = 0;
const CONFIRMED = 1;
const FAILED = 2;
/** Increments generated between two yields to the event loop, which lets the sinks send. */
const CHUNK = 4096;
const MAX_ERRORS = 5;

/**
 * One sink's share of the run. Its increments are a deterministic stream (see
 * {@link LoadStream}); what is recorded is only how the stream was cut into batches and each
 * batch's outcome: `[start, end)` ranges of stream positions, one per batch.
 */
class Lane {
  readonly stream: LoadStream;
  /** Stream position of the next increment. */
  next = 0;
  readonly starts: number[] = [];
  /** -1 while the batch may still grow. */
  readonly ends: number[] = [];
  readonly states: number[] = [];
  open = -1;
  lastPromise: Promise<void> | undefined;
  unsettled = 0;
  waiter: { limit: number; resolve: () => void } | undefined;

  constructor(
    readonly index: number,
    readonly sink: IncrementSink,
    readonly end: number,
    seed: number,
    zipf: ZipfSampler,
  ) {
    this.stream = new LoadStream(seed, index, zipf);
  }
}

/**
 * Sends `total` increments over `counters` counters (Zipf-skewed) through the given sinks,
 * optionally at a bounded rate, and keeps what the queue confirmed so that exact expected
 * totals can be computed afterwards ({@link confirmedTotals}).
 *
 * Cost per increment is a PRNG draw, an alias-table lookup and the sink's own `increment`:
 * outcomes are tracked per batch (one handler on each batch's shared promise, never one per
 * increment), and the expected totals are rebuilt at the end by replaying the seeded stream
 * over the confirmed ranges instead of being summed as increments are sent.
 *
 * @example
 * ```ts
 * const producer = new Producer({ queue: { host: '127.0.0.1', port: 6380 } });
 * const load = new LoadGenerator({ total: 1_000_000, counters: 10_000, zipf: 1.1, seed: 7 }, [producer]);
 * const result = await load.run();
 * const expected = load.confirmedTotals().toMap(); // name -> total of what was confirmed
 * await producer.close();
 * ```
 */
export class LoadGenerator {
  readonly total: number;
  readonly counters: number;
  readonly zipfExponent: number;
  readonly seed: number;
  readonly namePrefix: string;
  private readonly zipf: ZipfSampler;
  private readonly names: CounterNames;
  private readonly lanes: Lane[];
  private readonly bucket: TokenBucket | undefined;
  private readonly maxUnconfirmed: number;
  private readonly signal: AbortSignal | undefined;
  private sent = 0;
  private confirmed = 0;
  private failed = 0;
  private batches = 0;
  private failedBatches = 0;
  private readonly errors: string[] = [];
  private stopped = false;
  private startedAt: number | undefined;
  private finishedAt: number | undefined;
  private running: Promise<LoadResult> | undefined;

  constructor(options: LoadGeneratorOptions, sinks: readonly IncrementSink[]) {
    const { total, counters } = options;
    if (!Number.isSafeInteger(total) || total < 0)
      throw new RangeError(`total must be a non-negative integer, got ${total}`);
    if (sinks.length === 0) throw new RangeError('at least one sink (producer) is needed');
    const rate = options.rate ?? 0;
    if (!Number.isFinite(rate) || rate < 0)
      throw new RangeError(`rate must be a number >= 0, got ${rate}`);
    this.maxUnconfirmed = options.maxUnconfirmed ?? 500_000;
    if (!Number.isSafeInteger(this.maxUnconfirmed) || this.maxUnconfirmed < 1)
      throw new RangeError(`maxUnconfirmed must be a positive integer, got ${this.maxUnconfirmed}`);
    this.total = total;
    this.counters = counters;
    this.zipfExponent = options.zipf ?? 0;
    this.seed = options.seed ?? 1;
    this.namePrefix = options.namePrefix ?? 'load';
    this.zipf = new ZipfSampler(counters, this.zipfExponent);
    this.names = new CounterNames(this.namePrefix, counters);
    this.bucket = rate > 0 ? new TokenBucket(rate) : undefined;
    this.signal = options.signal;
    const share = Math.floor(total / sinks.length);
    const extra = total % sinks.length;
    this.lanes = sinks.map(
      (sink, i) => new Lane(i, sink, share + (i < extra ? 1 : 0), this.seed, this.zipf),
    );
  }

  /** Counter name of an index. */
  counterName(index: number): string {
    return this.names.name(index);
  }

  /** Runs once; later calls return the same promise. Never rejects for failed batches: see the result. */
  run(): Promise<LoadResult> {
    this.running ??= this.execute();
    return this.running;
  }

  progress(): LoadProgress {
    const end = this.finishedAt ?? performance.now();
    return {
      total: this.total,
      sent: this.sent,
      confirmed: this.confirmed,
      failed: this.failed,
      seconds: this.startedAt === undefined ? 0 : (end - this.startedAt) / 1000,
    };
  }

  /**
   * Expected value of every counter from what was confirmed so far (complete once `run()` has
   * resolved). Replays each lane's seeded stream over its confirmed ranges.
   */
  confirmedTotals(): ConfirmedTotals {
    const totals = new Float64Array(this.counters);
    const touched = new Uint8Array(this.counters);
    for (const lane of this.lanes) {
      const stream = new LoadStream(this.seed, lane.index, this.zipf);
      for (let r = 0; r < lane.starts.length; r++) {
        const start = lane.starts[r]!;
        const recorded = lane.ends[r]!;
        const end = recorded >= 0 ? recorded : (lane.starts[r + 1] ?? lane.next);
        if (lane.states[r] === CONFIRMED) {
          for (let i = start; i < end; i++) {
            stream.next();
            totals[stream.index]! += stream.delta;
            touched[stream.index] = 1;
          }
        } else {
          for (let i = start; i < end; i++) stream.next();
        }
      }
    }
    return new ConfirmedTotals(this.names, totals, touched);
  }

  private async execute(): Promise<LoadResult> {
    this.startedAt = performance.now();
    await Promise.all(this.lanes.map((lane) => this.drive(lane)));
    // Seal what lingers; a failure shows in the batches' own outcomes.
    await Promise.all(this.lanes.map((lane) => lane.sink.flush().catch(() => undefined)));
    await Promise.all(this.lanes.map((lane) => this.unsettledAtMost(lane, 0)));
    this.finishedAt = performance.now();
    const progress = this.progress();
    return {
      ...progress,
      stopped: this.stopped,
      incrementsPerSecond: progress.seconds > 0 ? progress.confirmed / progress.seconds : 0,
      batches: this.batches,
      failedBatches: this.failedBatches,
      errors: [...this.errors],
    };
  }

  private async drive(lane: Lane): Promise<void> {
    const { sink, stream } = lane;
    const names = this.names;
    const limit = this.maxUnconfirmed;
    while (lane.next < lane.end) {
      if (this.signal?.aborted === true) {
        this.stopped = true;
        return;
      }
      let n = Math.min(CHUNK, lane.end - lane.next, limit);
      if (lane.unsettled + n > limit) {
        await this.unsettledAtMost(lane, limit - n);
        continue;
      }
      if (this.bucket !== undefined) {
        const granted = this.bucket.take(n);
        if (granted === 0) {
          await sleep(Math.max(1, this.bucket.waitMs()), undefined, {
            signal: this.signal,
          }).catch(() => undefined);
          continue;
        }
        n = granted;
      }
      lane.unsettled += n;
      this.sent += n;
      for (let j = 0; j < n; j++) {
        stream.next();
        const before = sink.pendingIncrements;
        const promise = sink.increment(names.name(stream.index), stream.delta);
        if (sink.pendingIncrements === before) this.refused(lane, promise);
        else if (promise !== lane.lastPromise) this.openBatch(lane, promise);
        lane.next++;
      }
      // Let the sinks' sends, timers and replies run.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** The sink returned a promise it did not return before: a new batch starts at `lane.next`. */
  private openBatch(lane: Lane, promise: Promise<void>): void {
    if (lane.open >= 0) lane.ends[lane.open] = lane.next;
    const record = lane.starts.push(lane.next) - 1;
    lane.ends.push(-1);
    lane.states.push(PENDING);
    lane.open = record;
    lane.lastPromise = promise;
    promise.then(
      () => this.settle(lane, record, CONFIRMED, undefined),
      (err: unknown) => this.settle(lane, record, FAILED, err),
    );
  }

  /** The sink refused one increment outright (full, closed): it is failed on its own. */
  private refused(lane: Lane, promise: Promise<void>): void {
    if (lane.open >= 0) lane.ends[lane.open] = lane.next;
    lane.open = -1;
    // The batch open before goes on taking increments: they get a record of their own.
    lane.lastPromise = undefined;
    lane.starts.push(lane.next);
    lane.ends.push(lane.next + 1);
    lane.states.push(FAILED);
    lane.unsettled--;
    this.failed++;
    this.failedBatches++;
    promise.catch((err: unknown) => this.noteError(err));
  }

  private settle(lane: Lane, record: number, state: number, err: unknown): void {
    // A settled batch is sealed: its increments are all those taken since it opened.
    if (lane.open === record) {
      lane.ends[record] = lane.next;
      lane.open = -1;
    }
    const count = lane.ends[record]! - lane.starts[record]!;
    lane.states[record] = state;
    lane.unsettled -= count;
    if (state === CONFIRMED) {
      this.confirmed += count;
      this.batches++;
    } else {
      this.failed += count;
      this.failedBatches++;
      this.noteError(err);
    }
    const waiter = lane.waiter;
    if (waiter !== undefined && lane.unsettled <= waiter.limit) {
      lane.waiter = undefined;
      waiter.resolve();
    }
  }

  private unsettledAtMost(lane: Lane, limit: number): Promise<void> {
    if (lane.unsettled <= limit) return Promise.resolve();
    return new Promise((resolve) => (lane.waiter = { limit, resolve }));
  }

  private noteError(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (this.errors.length < MAX_ERRORS && !this.errors.includes(message))
      this.errors.push(message);
  }
}
