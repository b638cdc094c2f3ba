import {
  ChangePlacement,
  changeSplitsCounters,
  layoutOf,
  type RingState,
} from '../ring-change/index.js';
import type { StorageLayout } from '../storage/index.js';
import type { SeriesStep } from './series-request.js';

/** Where a reader reads at one ring epoch: one placement, or two while a change splits counters. */
export interface ReaderView {
  /** The ring epoch this view was read at (0 for a reader that does not follow the fleet). */
  readonly epoch: number;
  /** Where counters are now: the ring record's layout (the change's `to` while one runs). */
  readonly layout: StorageLayout;
  /** Set while a change is past fencing: each counter may have a partial sum under `from`. */
  readonly placement: ChangePlacement | undefined;
  /** Nodes that may hold counters, in listing order: `to` ∪ `from` while a change splits. */
  readonly nodeIds: readonly string[];
  /**
   * The granularities the registered ring keeps (its `rollups`), which series may be read by;
   * `undefined` when the view has no ring record naming them: the reader's own option decides.
   */
  readonly rollups?: readonly SeriesStep[] | undefined;
  /**
   * Equal for two epochs whose reads are the same: the ring version, the change's target and
   * whether it splits counters. These only move forward, so equal at the start and at the end
   * of a read means unchanged during it (`moving` → `settling` moves the epoch, not the reads).
   */
  readonly signature: string;
}

/** The view of a reader's own nodes and ring, for a reader without a registered ring. */
export function staticView(
  layout: StorageLayout,
  nodeIds: readonly string[],
  epoch: number,
): ReaderView {
  return { epoch, layout, placement: undefined, nodeIds, signature: 'static' };
}

/** The view of a registered ring state; `undefined` when no ring is registered yet. */
export function viewOfState(state: RingState): ReaderView | undefined {
  const ring = state.ring;
  if (ring === undefined) return undefined;
  const change = state.change;
  const splits = changeSplitsCounters(change);
  const ids = new Set(ring.nodes.map((n) => n.id));
  if (splits && change !== undefined) {
    for (const n of change.from.nodes) ids.add(n.id);
    for (const n of change.to.nodes) ids.add(n.id);
  }
  // Sorted: a listing cursor names a node, and continues at the next id if a change removed it.
  const nodeIds = [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const placement = splits && change !== undefined ? new ChangePlacement(change) : undefined;
  return {
    epoch: state.epoch,
    layout: placement?.to ?? layoutOf(ring),
    placement,
    nodeIds,
    // The ring workers write under now (the change's `to` while one runs) names what they keep.
    rollups: (placement?.change.to ?? ring).rollups?.map((r) => r.granularity),
    signature: JSON.stringify([
      ring.fingerprint,
      ring.version,
      change?.to.version ?? null,
      change?.to.fingerprint ?? null,
      splits,
    ]),
  };
}
