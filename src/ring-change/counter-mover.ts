import { readFileSync } from 'node:fs';
import { setTimeout } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { NodeIdentityError, ReplicasShortError, StorageError } from '../errors/index.js';
import { RingChangeConflictError } from '../errors/index.js';
import type { CountdKeys } from '../keys/index.js';
import type { MoveItem } from './move-scan.js';
import type { RingChangeStep } from './ring-change-step.js';
import type { RingChangeRecord } from './ring-state.js';
import { layoutOf } from './ring-record.js';

const MOVE_IN_SCRIPT = readFileSync(new URL('../scripts/move-in.lua', import.meta.url), 'utf8');
const MOVE_OUT_SCRIPT = readFileSync(new URL('../scripts/move-out.lua', import.meta.url), 'utf8');

/** A replica wait short of its count is tried this many times before the change stops. */
const REPLICA_WAIT_ATTEMPTS = 3;

interface MoveCommands {
  countdMoveIn(numKeys: number, args: string[]): Promise<unknown>;
  countdMoveOut(numKeys: number, args: string[]): Promise<unknown>;
}

/** How the counter mover reaches nodes and reports. */
export interface CounterMoverOptions {
  readonly change: RingChangeRecord;
  /** A client per node id of `from` ∪ `to`. */
  readonly client: (id: string) => Redis;
  /** Per node id, what its identity key holds once fenced for `change.to.version`. */
  readonly identities: ReadonlyMap<string, string>;
  readonly batchSize: number;
  /** Batches of one source node moving at once (each its move-ins, then its move-out). */
  readonly batchesInFlight: number;
  /** Fields per second over every source this mover moves; 0: unbounded. */
  readonly maxMoveRate: number;
  readonly minReplicas: number;
  readonly replicaWaitMs: number;
  /** After each batch: fields folded in now, and fields found folded already. */
  readonly onMoved: (moved: number, already: number) => void;
  readonly onStep: (step: RingChangeStep) => void;
}

/**
 * Moves fields a scan found at their old locations (docs/ring.md, "moving"): per batch,
 * move-in.lua on each target (the fold, once per field thanks to its flag), a replica wait when
 * asked, then move-out.lua on the source. Several batches of a source are in flight at once: a
 * field is in one batch only, and each batch keeps its own order (move-in before move-out), so
 * they need no order between them. Stopped at any point and run again, the runner reads what is
 * still at the old locations and this finishes the moves: each field is folded in once.
 */
export class CounterMover {
  private readonly keys: CountdKeys;
  /** Pacing (`maxMoveRate`): when this mover began, and the fields it has launched since. */
  private readonly pacedFrom = performance.now();
  private launched = 0;

  constructor(private readonly options: CounterMoverOptions) {
    this.keys = layoutOf(options.change.to).keys;
  }

  /** Waits until launching `fields` more keeps the launches at most `maxMoveRate` per second. */
  private async pace(fields: number, signal?: AbortSignal): Promise<void> {
    const rate = this.options.maxMoveRate;
    if (rate === 0) return;
    const due = this.pacedFrom + (this.launched / rate) * 1000;
    this.launched += fields;
    const wait = due - performance.now();
    if (wait > 0) await setTimeout(wait, undefined, signal === undefined ? {} : { signal });
  }

  /** Moves `chunks` (what a scan of node `source` found to move) in batches. */
  async move(
    source: string,
    chunks: AsyncIterable<readonly MoveItem[]> | Iterable<readonly MoveItem[]>,
    signal?: AbortSignal,
  ): Promise<void> {
    const { batchSize, batchesInFlight } = this.options;
    const running = new Set<Promise<void>>();
    let failure: { error: unknown } | undefined;
    const launch = (batch: MoveItem[]): void => {
      const done: Promise<void> = this.pace(batch.length, signal)
        .then(() => this.moveBatch(source, batch, signal))
        .catch((error: unknown) => void (failure ??= { error }))
        .finally(() => running.delete(done));
      running.add(done);
    };
    let pending: MoveItem[] = [];
    scan: for await (const items of chunks) {
      for (const item of items) {
        pending.push(item);
        if (pending.length < batchSize) continue;
        launch(pending);
        pending = [];
        while (running.size >= batchesInFlight) await Promise.race(running);
        if (failure !== undefined) break scan;
      }
    }
    if (failure === undefined && pending.length > 0) launch(pending);
    await Promise.all(running);
    if (failure !== undefined) throw failure.error;
  }

  private async moveBatch(source: string, batch: MoveItem[], signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const byTarget = groupBy(batch, (p) => p.target);
    const replies = await Promise.all(
      [...byTarget].map(([target, items]) => this.moveIn(target, items)),
    );
    this.step({ kind: 'moved-in', node: source, fields: batch.length }, signal);
    await this.moveOut(source, batch);
    const moved = replies.reduce((sum, r) => sum + r.moved, 0);
    const already = replies.reduce((sum, r) => sum + r.already, 0);
    this.options.onMoved(moved, already);
    this.step({ kind: 'moved-out', node: source, fields: batch.length }, signal);
  }

  private async moveIn(
    target: string,
    items: MoveItem[],
  ): Promise<{ moved: number; already: number }> {
    const redis = this.commands(target);
    const groups = groupBy(items, (p) => p.targetKey);
    const keys = [this.identityKey()];
    let data = '';
    for (const [targetKey, list] of groups) {
      const first = list[0]!;
      keys.push(targetKey, first.flagKey);
      // Every writer gives a time bucket the same expiry (docs/series.md): the first is all.
      data += `${list.length}\t${first.expireAt}\t`;
      for (const p of list) data += `${p.field}\t${p.value}\t`;
    }
    const reply = await redis.countdMoveIn(keys.length, [...keys, this.identity(target), data]);
    if (!Array.isArray(reply))
      throw new StorageError(target, `unexpected move-in reply ${String(reply)}`);
    if (reply[0] === 0) throw this.identityError(target, String(reply[1] ?? ''));
    if (reply[0] === 2) {
      const hash = keys[2 * Number(reply[1]) - 1] ?? '?';
      throw new StorageError(
        target,
        `cannot fold counter "${String(reply[2])}" into ${hash}: ${String(reply[3])}. The ring ` +
          'change stops here; fix or reset that counter and run the change again',
      );
    }
    await this.waitForReplicas(target);
    return { moved: Number(reply[1]), already: Number(reply[2]) };
  }

  private async moveOut(source: string, items: MoveItem[]): Promise<void> {
    const redis = this.commands(source);
    const groups = groupBy(items, (p) => p.sourceKey);
    const keys = [this.identityKey(), ...groups.keys()];
    let data = '';
    for (const list of groups.values()) {
      data += `${list.length}\t`;
      for (const p of list) data += `${p.field}\t${p.value}\t`;
    }
    const reply = await redis.countdMoveOut(keys.length, [...keys, this.identity(source), data]);
    if (!Array.isArray(reply))
      throw new StorageError(source, `unexpected move-out reply ${String(reply)}`);
    if (reply[0] === 0) throw this.identityError(source, String(reply[1] ?? ''));
    if (reply[0] === 2) {
      const hash = keys[Number(reply[1])] ?? '?';
      const counter = String(reply[2]);
      throw new RingChangeConflictError('fence-violated', {
        change: this.options.change,
        node: source,
        counter,
        message:
          `counter "${counter}" in ${hash} on node ${source} changed from ${String(reply[3])} ` +
          `to ${String(reply[4])} after the node was fenced: something wrote under ring version ` +
          `${this.options.change.from.version} (a worker or tool that does not check the node's ` +
          'identity?). It was not deleted; stop that writer, then run the change again',
      });
    }
  }

  private async waitForReplicas(target: string): Promise<void> {
    const { minReplicas, replicaWaitMs } = this.options;
    if (minReplicas < 1) return;
    const redis = this.options.client(target);
    let acks = 0;
    for (let attempt = 0; attempt < REPLICA_WAIT_ATTEMPTS; attempt++) {
      // The probe write makes WAIT cover this connection even when move-in wrote nothing
      // (every flag set already by a run that stopped before its wait).
      const replies = await redis
        .pipeline()
        .set(this.keys.replicaProbe(), '1')
        .wait(minReplicas, replicaWaitMs)
        .exec();
      const failed = replies?.find(([err]) => err !== null)?.[0];
      if (failed) throw failed;
      acks = Number(replies?.[1]?.[1]);
      if (acks >= minReplicas) return;
    }
    throw new ReplicasShortError(target, acks, minReplicas, replicaWaitMs);
  }

  private commands(id: string): MoveCommands {
    const redis = this.options.client(id);
    // defineCommand loads by EVALSHA and falls back to EVAL once per connection (NOSCRIPT).
    if (!('countdMoveIn' in redis)) redis.defineCommand('countdMoveIn', { lua: MOVE_IN_SCRIPT });
    if (!('countdMoveOut' in redis)) redis.defineCommand('countdMoveOut', { lua: MOVE_OUT_SCRIPT });
    return redis as unknown as MoveCommands;
  }

  private identityKey(): string {
    return this.keys.nodeIdentity();
  }

  private identity(id: string): string {
    const identity = this.options.identities.get(id);
    if (identity === undefined) throw new Error(`CounterMover: no identity for node ${id}`);
    return identity;
  }

  private identityError(id: string, found: string): NodeIdentityError {
    return new NodeIdentityError(
      id,
      found === '' ? 'missing' : 'foreign',
      this.identity(id),
      found === '' ? undefined : found,
    );
  }

  private step(step: RingChangeStep, signal?: AbortSignal): void {
    this.options.onStep(step);
    signal?.throwIfAborted();
  }
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    let list = groups.get(key);
    if (list === undefined) groups.set(key, (list = []));
    list.push(item);
  }
  return groups;
}
