import type { CounterLocation, StorageLayout } from '../storage/index.js';
import type { CountdKeys } from '../keys/index.js';
import { layoutOf } from './ring-record.js';
import type { RingChangeRecord } from './ring-state.js';

/** Where a counter is during a change: its location under `to`, and under `from` when it differs. */
export interface SplitLocation {
  readonly current: CounterLocation;
  /** Set when the counter's node or hash differs between the versions. */
  readonly previous: CounterLocation | undefined;
  /** The flag hash on `current.node` that says the `previous` partial sum was folded in. */
  readonly movedKey: string;
}

/** Locates counters under both versions of a change. */
export class ChangePlacement {
  readonly from: StorageLayout;
  readonly to: StorageLayout;
  private readonly keys: CountdKeys;

  constructor(readonly change: RingChangeRecord) {
    this.from = layoutOf(change.from);
    this.to = layoutOf(change.to);
    this.keys = this.to.keys;
  }

  /**
   * Whether the field `name` found in hash `key` on node `node` is to be folded into its new
   * location. Only a field at its `from` location moves: in a hash that is also a `to` location
   * (same bucket index in a layout change, or a node that keeps some of its counters) a field may
   * be at home there, written under `to` or folded in already; moving it would add it to itself.
   */
  movesFrom(name: string, node: string, key: string): boolean {
    const { current, previous } = this.locate(name);
    return (
      previous !== undefined &&
      previous.node === node &&
      previous.key === key &&
      (current.node !== node || current.key !== key)
    );
  }

  locate(name: string): SplitLocation {
    const current = this.to.locate(name);
    const before = this.from.locate(name);
    const moved = before.node !== current.node || before.key !== current.key;
    return {
      current,
      previous: moved ? before : undefined,
      movedKey: this.keys.movedIn(this.change.to.version, this.to.bucketOf(name)),
    };
  }
}
