import type { CountdKeys } from '../keys/index.js';
import type { HashRing } from '../ring/index.js';
import type { StorageLayout } from '../storage/index.js';
import { hashRingOf, layoutOf } from './ring-record.js';
import type { RingChangeRecord } from './ring-state.js';

/** Where a field found at its old location goes: node, hash, and the flag hash beside it. */
export interface MoveTarget {
  readonly node: string;
  readonly key: string;
  readonly flagKey: string;
}

/** A time-bucket hash's name taken apart (`<prefix>:s:<granularity>:<startMs>:<slot>`). */
export interface SeriesKey {
  readonly key: string;
  readonly granularity: string;
  readonly startMs: number;
  readonly slot: number;
}

/**
 * The rule of ChangePlacement.movesFrom (a field moves only from its `from` location, and only
 * when its `to` location differs), for fields a scan finds: each name is hashed once for both
 * rings (one md5, one crc32) where `locate` on each layout would take two of each. Planning and
 * moving place every counter of the `from` nodes, so this is most of a change's runner CPU.
 */
export class MoveTargets {
  private readonly fromRing: HashRing;
  private readonly toRing: HashRing;
  private readonly from: StorageLayout;
  private readonly to: StorageLayout;
  private readonly keys: CountdKeys;
  private readonly version: number;
  private readonly flagKeys: string[] = [];
  private readonly seriesTargets = new Map<string, MoveTarget>();

  constructor(change: Pick<RingChangeRecord, 'from' | 'to'>) {
    this.fromRing = hashRingOf(change.from);
    this.toRing = hashRingOf(change.to);
    this.from = layoutOf(change.from);
    this.to = layoutOf(change.to);
    this.keys = this.to.keys;
    this.version = change.to.version;
  }

  /** Counter `name` found in bucket hash `bucket` (of `from`) on `node`: its target, or undefined. */
  counter(name: string, node: string, bucket: number): MoveTarget | undefined {
    const placed = this.place(name, node, bucket);
    if (placed === undefined) return undefined;
    const { toNode, toBucket } = placed;
    let flagKey = this.flagKeys[toBucket];
    if (flagKey === undefined)
      this.flagKeys[toBucket] = flagKey = this.keys.movedIn(this.version, toBucket);
    return { node: toNode, key: this.to.bucketKey(toBucket), flagKey };
  }

  /** Field `name` found in the time-bucket hash `series` on `node`: its target, or undefined. */
  series(name: string, node: string, series: SeriesKey): MoveTarget | undefined {
    const placed = this.place(name, node, series.slot);
    if (placed === undefined) return undefined;
    const { toNode, toBucket } = placed;
    const key = this.keys.series(series.granularity, series.startMs, toBucket);
    const id = `${toNode}\n${key}`;
    let target = this.seriesTargets.get(id);
    if (target === undefined) {
      target = { node: toNode, key, flagKey: this.keys.movedInSeries(this.version, key) };
      this.seriesTargets.set(id, target);
    }
    return target;
  }

  /** Reads a time-bucket hash's name (as `CountdKeys.series` builds it); undefined if it is not one. */
  parseSeries(key: string): SeriesKey | undefined {
    const head = this.keys.seriesPattern().slice(0, -1);
    if (!key.startsWith(head)) return undefined;
    const rest = key.slice(head.length);
    const slotAt = rest.lastIndexOf(':');
    const startAt = rest.lastIndexOf(':', slotAt - 1);
    if (startAt <= 0) return undefined;
    const startMs = Number(rest.slice(startAt + 1, slotAt));
    const slot = Number(rest.slice(slotAt + 1));
    const granularity = rest.slice(0, startAt);
    if (!Number.isSafeInteger(startMs) || !Number.isSafeInteger(slot) || slot < 0) return undefined;
    // Only a name this function's inverse gives back is taken apart (no stray `:s:` keys).
    if (this.keys.series(granularity, startMs, slot) !== key) return undefined;
    return { key, granularity, startMs, slot };
  }

  /** Clears the per-change caches of series targets (they grow with the keys scanned). */
  forgetSeries(): void {
    this.seriesTargets.clear();
  }

  private place(
    name: string,
    node: string,
    bucket: number,
  ): { toNode: string; toBucket: number } | undefined {
    const hash = this.fromRing.keyHash(name);
    if (this.fromRing.locateHash(hash) !== node) return undefined;
    const fromBucket = this.from.bucketOf(name);
    if (fromBucket !== bucket) return undefined;
    const toBucket = this.to.buckets === this.from.buckets ? fromBucket : this.to.bucketOf(name);
    const toNode = this.toRing.locateHash(hash);
    if (toNode === node && toBucket === bucket) return undefined;
    return { toNode, toBucket };
  }
}
