import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { NodeIdentityError, ReplicasShortError, StorageError } from '../errors/index.js';
import { RingChangeConflictError } from '../errors/index.js';
import type { StorageLayout } from '../storage/index.js';
import { ChangePlacement } from './change-placement.js';
import { scanCounters } from './counter-scan.js';
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
  readonly minReplicas: number;
  readonly replicaWaitMs: number;
  /** After each batch: fields folded in now, and fields found folded already. */
  readonly onMoved: (moved: number, already: number) => void;
  readonly onStep: (step: RingChangeStep) => void;
}

interface Pending {
  readonly sourceKey: string;
  readonly field: string;
  readonly value: string;
  readonly target: string;
  readonly targetKey: string;
  readonly flagKey: string;
}

/**
 * Moves every counter of a `from` node whose location under `to` differs (docs/ring.md,
 * "moving"): per batch, move-in.lua on each target (the fold, once per counter thanks to its
 * flag), a replica wait when asked, then move-out.lua on the source. Stopped at any point and
 * run again, it reads what is still at the old locations and finishes the moves: each counter
 * is folded in once.
 */
export class CounterMover {
  private readonly placement: ChangePlacement;
  private readonly target: StorageLayout;

  constructor(private readonly options: CounterMoverOptions) {
    this.placement = new ChangePlacement(options.change);
    this.target = this.placement.to;
  }

  /** Moves what node `source` holds that belongs elsewhere under `to`. */
  async moveFrom(source: string, signal?: AbortSignal): Promise<void> {
    const { change, batchSize } = this.options;
    const redis = this.options.client(source);
    const keys = layoutOf(change.from).keys;
    let pending: Pending[] = [];
    for await (const batch of scanCounters(redis, keys, change.from.buckets, batchSize, signal)) {
      for (let i = 0; i < batch.entries.length; i += 2) {
        const field = batch.entries[i]!;
        if (!this.placement.movesFrom(field, source, batch.key)) continue;
        const { current, movedKey } = this.placement.locate(field);
        pending.push({
          sourceKey: batch.key,
          field,
          value: batch.entries[i + 1]!,
          target: current.node,
          targetKey: current.key,
          flagKey: movedKey,
        });
        if (pending.length >= batchSize) {
          await this.moveBatch(source, pending, signal);
          pending = [];
        }
      }
    }
    if (pending.length > 0) await this.moveBatch(source, pending, signal);
  }

  private async moveBatch(source: string, batch: Pending[], signal?: AbortSignal): Promise<void> {
    const byTarget = new Map<string, Pending[]>();
    for (const p of batch) {
      let list = byTarget.get(p.target);
      if (list === undefined) byTarget.set(p.target, (list = []));
      list.push(p);
    }
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
    items: Pending[],
  ): Promise<{ moved: number; already: number }> {
    const redis = this.commands(target);
    const groups = groupBy(items, (p) => p.targetKey);
    const keys = [this.target.keys.nodeIdentity()];
    let data = '';
    for (const [targetKey, list] of groups) {
      keys.push(targetKey, list[0]!.flagKey);
      data += `${list.length}\t`;
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

  private async moveOut(source: string, items: Pending[]): Promise<void> {
    const redis = this.commands(source);
    const groups = groupBy(items, (p) => p.sourceKey);
    const keys = [this.target.keys.nodeIdentity(), ...groups.keys()];
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
        .set(this.target.keys.replicaProbe(), '1')
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
