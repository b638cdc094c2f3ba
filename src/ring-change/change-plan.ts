import type { Redis } from 'ioredis';
import { measureMovement, syntheticKeys } from '../ring/index.js';
import { scanMoves } from './move-scan.js';
import { MoveTargets } from './move-targets.js';
import { hashRingOf, layoutOf, type RingRecord } from './ring-record.js';

/** Synthetic names the expected share is measured on: enough for ±0.3 % (binomial, 1 σ). */
const EXPECTED_SHARE_KEYS = 100_000;

/** What a change from `from` to `to` would move, counted on the counters the nodes hold. */
export interface ChangePlan {
  readonly from: RingRecord;
  readonly to: RingRecord;
  /** Counters on the `from` nodes: exact, from scanning every bucket hash of each. */
  readonly counters: number;
  /** Counters whose location (node or hash) changes. */
  readonly moving: number;
  /**
   * Fields of time-bucket hashes (docs/series.md) on the `from` nodes, and those that move with
   * their counter (node or slot changes); not in `counters` nor `moving`.
   */
  readonly timeBuckets: { readonly fields: number; readonly moving: number };
  /**
   * Per node of `from` ∪ `to`: counters now, after the change, and moving out and in (a
   * counter changing hash on the same node counts in both).
   */
  readonly perNode: ReadonlyArray<{
    readonly id: string;
    readonly before: number;
    readonly after: number;
    readonly movingOut: number;
    readonly movingIn: number;
  }>;
  readonly buckets: { readonly from: number; readonly to: number };
  /**
   * The share of counters that change node: expected from ring math (synthetic names
   * `key:0…`), and measured on the real counters (0 when there are none). A layout change
   * moves counters between hashes, not nodes: both stay near 0 while `moving` is all of them.
   */
  readonly expectedShare: number;
  readonly measuredShare: number;
}

/**
 * Counts what the change would move by scanning every bucket hash of every `from` node.
 * `clients` holds a client per node id of `from` (more are ignored). Reads only.
 */
export async function planChange(
  from: RingRecord,
  to: RingRecord,
  clients: ReadonlyMap<string, Redis>,
): Promise<ChangePlan> {
  // The runner's rule and scan for what moves (ChangePlacement.movesFrom, one hash per name).
  const targets = new MoveTargets({ from, to });
  const keys = layoutOf(from).keys;
  const ids = [...new Set([...from.nodes, ...to.nodes].map((n) => n.id))].sort();
  const tally = new Map(ids.map((id) => [id, { before: 0, movingOut: 0, movingIn: 0 }]));
  let counters = 0;
  let moving = 0;
  let changingNode = 0;
  const timeBuckets = { fields: 0, moving: 0 };
  await Promise.all(
    from.nodes.map(async ({ id }) => {
      const client = clients.get(id);
      if (client === undefined) throw new Error(`planChange: no client for node ${id}`);
      const own = tally.get(id)!;
      for await (const chunk of scanMoves(client, id, keys, from.buckets, targets)) {
        if (chunk.kind === 'series') {
          timeBuckets.fields += chunk.scanned;
          timeBuckets.moving += chunk.items.length;
          continue;
        }
        counters += chunk.scanned;
        own.before += chunk.scanned;
        for (const item of chunk.items) {
          moving++;
          own.movingOut++;
          tally.get(item.target)!.movingIn++;
          if (item.target !== id) changingNode++;
        }
      }
    }),
  );
  return {
    from,
    to,
    counters,
    moving,
    timeBuckets,
    perNode: ids.map((id) => {
      const t = tally.get(id)!;
      return { id, ...t, after: t.before - t.movingOut + t.movingIn };
    }),
    buckets: { from: from.buckets, to: to.buckets },
    expectedShare: measureMovement(
      hashRingOf(from),
      hashRingOf(to),
      syntheticKeys(EXPECTED_SHARE_KEYS),
    ).fraction,
    measuredShare: counters === 0 ? 0 : changingNode / counters,
  };
}
