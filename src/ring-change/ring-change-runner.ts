import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { SETTING_DEFAULTS } from '../config/setting-defaults.js';
import { NodeIdentityError } from '../errors/index.js';
import { CountdKeys } from '../keys/index.js';
import { beginChange } from './change-begin.js';
import { enterPhase, finishChange, saveProgress, type RecordKeys } from './change-records.js';
import { CounterMover } from './counter-mover.js';
import { repackHashes } from './hash-repack.js';
import { snapshotJobs, pruneFinishedJobs } from './jobs-snapshot.js';
import { MoveRate } from './move-rate.js';
import { scanMoves, type MoveChunk, type MoveItem } from './move-scan.js';
import { MoveTargets } from './move-targets.js';
import { RunnerLease } from './runner-lease.js';
import { fenceNode, fencedIdentity, joinFleet } from './node-fence.js';
import {
  resolveRingChangeOptions,
  type ResolvedRingChangeOptions,
  type RingChangeRunnerOptions,
} from './ring-change-options.js';
import type { RingChangeStep } from './ring-change-step.js';
import { layoutOf, type RegisteredNode, type RingRecord } from './ring-record.js';
import {
  readRingState,
  type RingChangeKind,
  type RingChangePhase,
  type RingChangeRecord,
} from './ring-state.js';

/** Progress is stored in the change record at most this often (the epoch does not move). */
const SAVE_PROGRESS_MS = 500;
/** Progress events come at least this often. */
const PROGRESS_EVERY_MS = 1000;
/** moved@ keys per UNLINK in cleanup. */
const UNLINK_CHUNK = 1000;
/**
 * Fields a moving phase keeps from its counting scan to move without scanning again (about
 * 150 bytes each in the runner); past it, the move scans the nodes a second time.
 */
const MAX_HELD_FIELDS = 2_000_000;

/** Where a change stands, as emitted by `progress`. */
export interface RingChangeProgress {
  readonly phase: RingChangePhase | 'done';
  readonly moved: number;
  readonly toMove: number | null;
  /** Counters moved per second over the last few seconds. */
  readonly ratePerSecond: number;
  readonly etaSeconds: number | null;
  /** Settling: snapshot jobs not finished yet. */
  readonly jobsLeft: number | null;
}

export interface RingChangeRunnerEvents {
  progress: [RingChangeProgress];
  phase: [RingChangePhase | 'done'];
  /** Each finished step, before the abort signal is checked (see RingChangeStep). */
  step: [RingChangeStep];
  /** Another runner holds the change's lease (named): this one waits for it (`waitForRunner`). */
  waiting: [string];
}

/**
 * Carries out a change of the fleet's ring (docs/ring.md, "Changing the ring live"): `begin`
 * records it, `run` drives it through fencing, moving, settling and cleanup. Every step is
 * idempotent, so a runner stopped anywhere (crash, abort) is resumed by a new one calling `run`.
 */
export class RingChangeRunner extends EventEmitter<RingChangeRunnerEvents> {
  private readonly options: ResolvedRingChangeOptions;
  // Fleet keys live in the queue Redis under `countd:fleet:`, whatever the storage prefix.
  private readonly keys = new CountdKeys(SETTING_DEFAULTS.prefix);
  private readonly records: RecordKeys;
  private readonly clients = new Map<string, Redis>();
  private readonly rate = new MoveRate();
  private phase: RingChangePhase | 'done' | undefined;
  private moved = 0;
  private toMove: number | null = null;
  private jobsLeft: number | null = null;

  constructor(options: RingChangeRunnerOptions) {
    super();
    this.options = resolveRingChangeOptions(options);
    this.records = { queue: options.queue, keys: this.keys, queueName: options.queueName };
  }

  /**
   * Starts `to` as the change from the current ring (change record in phase fencing, epoch+1),
   * or returns the change in progress when its `to` has the same fingerprint (resume). Throws
   * RingChangeConflictError when another change runs (`in-progress`) or the queue has more
   * BullMQ workers than live countd workers (`old-workers`); ConfigError when no ring is
   * registered or `to` is not the next version with the same prefix.
   */
  async begin(kind: RingChangeKind, to: RingRecord): Promise<RingChangeRecord> {
    return beginChange(this.records, this.options.bullPrefix, kind, to);
  }

  /**
   * Drives the change in progress through every remaining phase until its record is deleted,
   * from whatever phase it is in. Rejects with the signal's reason (an AbortError) when `signal`
   * aborts, after the step under way. Emits `progress` at least once a second.
   */
  async run(signal?: AbortSignal): Promise<void> {
    const lease = new RunnerLease({
      queue: this.options.queue,
      key: this.keys.ringChangeRunner(this.options.queueName),
      leaseMs: this.options.leaseMs,
      wait: this.options.waitForRunner,
      onWaiting: (holder) => this.emit('waiting', holder),
    });
    await lease.acquire(signal);
    const guarded = signal === undefined ? lease.signal : AbortSignal.any([signal, lease.signal]);
    try {
      await this.drive(guarded);
    } finally {
      await lease.release();
    }
  }

  private async drive(signal: AbortSignal): Promise<void> {
    const ticker = setInterval(() => this.emitProgress(), PROGRESS_EVERY_MS);
    ticker.unref();
    try {
      for (;;) {
        signal.throwIfAborted();
        const { change } = await readRingState(
          this.options.queue,
          this.keys,
          this.options.queueName,
        );
        if (change === undefined) {
          this.enter('done');
          return;
        }
        this.moved = change.moved;
        this.toMove = change.toMove;
        this.enter(change.phase);
        if (change.phase === 'fencing') await this.fence(change, signal);
        else if (change.phase === 'moving') await this.move(change, signal);
        else if (change.phase === 'settling') await this.settle(change, signal);
        else await this.cleanup(change, signal);
      }
    } finally {
      clearInterval(ticker);
    }
  }

  private async fence(change: RingChangeRecord, signal?: AbortSignal): Promise<void> {
    const { queue, queueName, bullPrefix } = this.options;
    const keys = layoutOf(change.to).keys;
    for (const node of nodesOf(change)) {
      const registered = await joinFleet(queue, keys, queueName, node.id, this.client(node));
      this.step({ kind: 'joined', node: node.id }, signal);
      await fenceNode(this.client(node), keys, node.id, registered, change.to.version);
      this.step({ kind: 'fenced', node: node.id }, signal);
    }
    const jobs = await snapshotJobs(
      queue,
      this.keys.ringChangeJobs(queueName),
      queueName,
      bullPrefix,
    );
    this.step({ kind: 'snapshot', jobs }, signal);
    await enterPhase(this.records, change, 'moving', Date.now());
  }

  private async move(change: RingChangeRecord, signal?: AbortSignal): Promise<void> {
    const nodes = nodesOf(change);
    const identities = await this.identities(change, nodes);
    const clients = new Map(nodes.map((n) => [n.id, this.client(n)]));
    const stop = new AbortController();
    const stopped = signal === undefined ? stop.signal : AbortSignal.any([signal, stop.signal]);
    const targets = new MoveTargets(change);
    const keys = layoutOf(change.from).keys;
    const scan = (id: string) =>
      scanMoves(clients.get(id)!, id, keys, change.from.buckets, targets, stopped);
    // One scan counts what is left and, up to a bound, keeps it to move: scanning is most of
    // a move's CPU, so scanning twice (count, then move) nearly halved the rate.
    const held = new Map<string, Array<readonly MoveItem[]>>();
    let left = 0;
    await this.eachSource(
      change,
      stop,
      async (id) => {
        const chunks: Array<readonly MoveItem[]> = [];
        for await (const chunk of scan(id)) {
          left += chunk.items.length;
          if (chunk.items.length > 0 && left <= MAX_HELD_FIELDS) chunks.push(chunk.items);
        }
        held.set(id, chunks);
      },
      signal,
    );
    const rescan = left > MAX_HELD_FIELDS;
    if (rescan) held.clear();
    // What earlier runs moved is in the record; what is left is still at the old locations.
    this.toMove = change.moved + left;
    let record: RingChangeRecord = { ...change, toMove: this.toMove, updatedAt: Date.now() };
    await saveProgress(this.records, record);
    let lastSave = Date.now();
    let saving: Promise<void> = Promise.resolve();
    let saveError: unknown;
    const mover = new CounterMover({
      change,
      client: (id) => clients.get(id)!,
      identities,
      batchSize: this.options.batchSize,
      batchesInFlight: this.options.batchesInFlight,
      maxMoveRate: this.options.maxMoveRate,
      minReplicas: this.options.minReplicas,
      replicaWaitMs: this.options.replicaWaitMs,
      onMoved: (moved, already) => {
        // A field found folded already was counted in what was left, not in what was moved
        // (a run stopped between its move-in and move-out, or a reader's set/reset).
        this.moved += moved;
        this.toMove = (this.toMove ?? 0) - already;
        const now = Date.now();
        if (now - lastSave < SAVE_PROGRESS_MS) return;
        lastSave = now;
        record = { ...record, moved: this.moved, toMove: this.toMove, updatedAt: now };
        const snapshot = record;
        saving = saving
          .then(() => saveProgress(this.records, snapshot))
          .catch((err: unknown) => void (saveError ??= err));
      },
      onStep: (step) => this.emit('step', step),
    });
    await this.eachSource(
      change,
      stop,
      (id) => mover.move(id, rescan ? itemsOf(scan(id)) : (held.get(id) ?? []), stopped),
      signal,
      () => saving,
    );
    if (saveError !== undefined) throw saveError;
    record = { ...record, moved: this.moved, toMove: this.moved, updatedAt: Date.now() };
    this.toMove = this.moved;
    await enterPhase(this.records, record, 'settling', Date.now());
  }

  /**
   * Runs `work` for every node of `from` at once; one failing stops the others at their next
   * step (through `stop`), then its error is thrown (the caller's abort reason first).
   */
  private async eachSource(
    change: RingChangeRecord,
    stop: AbortController,
    work: (id: string) => Promise<void>,
    signal: AbortSignal | undefined,
    settled: () => Promise<void> = () => Promise.resolve(),
  ): Promise<void> {
    const results = await Promise.allSettled(
      change.from.nodes.map((n) =>
        work(n.id).catch((err: unknown) => {
          stop.abort(err);
          throw err;
        }),
      ),
    );
    await settled();
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) {
      signal?.throwIfAborted();
      throw failed.reason;
    }
  }

  private async settle(change: RingChangeRecord, signal?: AbortSignal): Promise<void> {
    const { queue, queueName, bullPrefix, settlePollMs } = this.options;
    for (;;) {
      this.jobsLeft = await pruneFinishedJobs(
        queue,
        this.keys.ringChangeJobs(queueName),
        queueName,
        bullPrefix,
      );
      this.step({ kind: 'settle-poll', jobsLeft: this.jobsLeft }, signal);
      if (this.jobsLeft === 0) break;
      this.emitProgress();
      await sleep(settlePollMs, undefined, signal === undefined ? {} : { signal });
    }
    await enterPhase(this.records, change, 'cleanup', Date.now());
  }

  private async cleanup(change: RingChangeRecord, signal?: AbortSignal): Promise<void> {
    const keys = layoutOf(change.to).keys;
    const flags = Array.from({ length: change.to.buckets }, (_, b) =>
      keys.movedIn(change.to.version, b),
    );
    // The time-bucket flags' names follow their hashes': found by SCAN (they also expire).
    const seriesFlags = keys.movedInSeries(change.to.version, keys.seriesPattern());
    for (const node of change.to.nodes) {
      const client = this.client(node);
      for (let i = 0; i < flags.length; i += UNLINK_CHUNK)
        await client.unlink(...flags.slice(i, i + UNLINK_CHUNK));
      let cursor = '0';
      do {
        const [next, found] = await client.scan(
          cursor,
          'MATCH',
          seriesFlags,
          'COUNT',
          UNLINK_CHUNK,
        );
        cursor = next;
        if (found.length > 0) await client.unlink(...found);
      } while (cursor !== '0');
      // Hashes the change emptied below the listpack limit are compact again only if rewritten.
      const repacked = await repackHashes(client, layoutOf(change.to));
      this.step({ kind: 'cleaned', node: node.id, repacked }, signal);
    }
    await finishChange(this.records);
  }

  /** What each node's identity key holds once fenced for the change's version. */
  private async identities(
    change: RingChangeRecord,
    nodes: readonly RegisteredNode[],
  ): Promise<Map<string, string>> {
    const table = this.keys.fleetNodes(this.options.queueName);
    const registered = await this.options.queue.hmget(table, ...nodes.map((n) => n.id));
    return new Map(
      nodes.map((n, i) => {
        const identity = registered[i];
        if (identity == null) throw new NodeIdentityError(n.id, 'missing', undefined, undefined);
        return [n.id, fencedIdentity(identity, change.to.version)];
      }),
    );
  }

  private client(node: RegisteredNode): Redis {
    let client = this.clients.get(node.id);
    if (client === undefined) {
      client = this.options.connect(node);
      this.clients.set(node.id, client);
    }
    return client;
  }

  private enter(phase: RingChangePhase | 'done'): void {
    if (phase === this.phase) return;
    this.phase = phase;
    this.rate.reset();
    if (phase !== 'settling') this.jobsLeft = null;
    this.emit('phase', phase);
    this.emitProgress();
  }

  private step(step: RingChangeStep, signal?: AbortSignal): void {
    this.emit('step', step);
    signal?.throwIfAborted();
  }

  private emitProgress(): void {
    if (this.phase === undefined) return;
    const ratePerSecond = this.phase === 'moving' ? this.rate.sample(Date.now(), this.moved) : 0;
    const left = this.toMove === null ? null : Math.max(0, this.toMove - this.moved);
    const etaSeconds =
      left === null ? null : left === 0 ? 0 : ratePerSecond > 0 ? left / ratePerSecond : null;
    this.emit('progress', {
      phase: this.phase,
      moved: this.moved,
      toMove: this.toMove,
      ratePerSecond,
      etaSeconds,
      jobsLeft: this.jobsLeft,
    });
  }
}

/** Nodes of `from` ∪ `to`, each as `to` has it (its URL may be newer) when it is in both. */
function nodesOf(change: RingChangeRecord): RegisteredNode[] {
  const nodes = new Map<string, RegisteredNode>(change.from.nodes.map((n) => [n.id, n]));
  for (const n of change.to.nodes) nodes.set(n.id, n);
  return [...nodes.values()];
}

/** The fields to move of each chunk of a scan. */
async function* itemsOf(chunks: AsyncIterable<MoveChunk>): AsyncGenerator<readonly MoveItem[]> {
  for await (const chunk of chunks) if (chunk.items.length > 0) yield chunk.items;
}
