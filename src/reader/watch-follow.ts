import type { WatchFollow } from './counter-watcher.js';
import type { NodeClient } from './node-client.js';
import type { ReaderNode } from './reader-options.js';
import type { ReaderView } from './reader-view.js';
import type { RingFollower } from './ring-follower.js';
import { readAcrossChange } from './split-reads.js';

/** How the watches of a reader that follows the fleet's ring keep up with it. */
export function watchFollowOf(
  follower: RingFollower,
  nodesOf: (view: ReaderView) => ReaderNode[],
  clientOf: (node: string) => NodeClient,
  pollMs: number,
): WatchFollow {
  return {
    nodes: async () => nodesOf(await follower.current()),
    onNodes: (listener) => {
      const onView = (view: ReaderView) => listener(nodesOf(view));
      follower.on('view', onView);
      return () => follower.off('view', onView);
    },
    // At the epoch read after the message arrived: a partial sum at a new location is published
    // only by workers under the new ring, which the epoch announced before they applied anything.
    reread: (names) =>
      follower.read(async (view) => {
        const placement = view.placement;
        if (placement === undefined) return new Map<string, bigint>();
        const split = names.filter((name) => placement.locate(name).previous !== undefined);
        const exact = await readAcrossChange(placement, split, clientOf);
        return new Map([...exact].map(([name, { value }]) => [name, value]));
      }),
    pollMs,
  };
}
