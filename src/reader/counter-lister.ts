import type { ListState } from './list-cursor.js';
import type { NodeClient } from './node-client.js';

/** Round trips one `list` call makes at most: its work is bounded however sparse the matches. */
export const MAX_ROUND_TRIPS = 16;
/** SCAN COUNT: hashes looked at per SCAN step (a node has at most `buckets` of them). */
const SCAN_COUNT = 64;
/** Hashes HSCANned in one pipeline at most. */
const MAX_HASHES_PER_TRIP = 128;
/** Most hashes HSCANned in the first pipeline of a call, before their fill is known. */
const FIRST_TRIP_HASHES = 4;
/** Counters per hash assumed for the first pipeline (B hashes per node, each a few dozen). */
const ASSUMED_PER_HASH = 32;

/** One page of a listing in stored form: `[name, stored text]`, and where to go on. */
export interface RawPage {
  readonly entries: Array<[name: string, stored: string, node: string]>;
  /** `undefined` when every node has been listed. */
  readonly state: ListState | undefined;
}

/**
 * Lists counters matching `glob`, starting at `state`, until about `count` are found or
 * {@link MAX_ROUND_TRIPS} round trips are made. Per node: SCAN over the counter hashes
 * (`TYPE hash`), then HSCAN with `MATCH glob` on each, several hashes per pipeline. Small
 * hashes (listpack) come back whole from one HSCAN, so `count` is a target, not a limit.
 */
export async function listPage(
  nodes: readonly NodeClient[],
  start: ListState,
  glob: string,
  count: number,
  bucketPattern: string,
): Promise<RawPage> {
  const entries: Array<[string, string, string]> = [];
  let state: ListState | undefined = advance(start, nodes.length);
  let trips = 0;
  let hashesDone = 0;
  while (state !== undefined && trips < MAX_ROUND_TRIPS && entries.length < count) {
    const node = nodes[state.node]!;
    trips++;
    if (state.pending.length === 0) {
      // advance() never leaves a node with nothing pending and SCAN complete.
      const scan = state.scan!;
      const [next, keys] = await node.run('SCAN', (redis) =>
        redis.scan(scan, 'MATCH', bucketPattern, 'COUNT', SCAN_COUNT, 'TYPE', 'hash'),
      );
      state = advance(
        { node: state.node, scan: next === '0' ? null : next, pending: keys.map((k) => [k, '0']) },
        nodes.length,
      );
      continue;
    }
    // Size the pipeline from the fill seen so far: near `count` results, never unbounded.
    const perHash = hashesDone === 0 ? undefined : entries.length / hashesDone;
    const wanted =
      perHash === undefined
        ? Math.min(FIRST_TRIP_HASHES, Math.ceil(count / ASSUMED_PER_HASH))
        : Math.ceil((count - entries.length) / Math.max(perHash, 0.5));
    const batch = state.pending.slice(0, Math.min(Math.max(wanted, 1), MAX_HASHES_PER_TRIP));
    const replies = await node.run('HSCAN', async (redis) => {
      const pipeline = redis.pipeline();
      for (const [key, cursor] of batch) {
        pipeline.hscan(key, cursor, 'MATCH', glob, 'COUNT', Math.min(count, 1000));
      }
      const results = (await pipeline.exec()) ?? [];
      return results.map(([err, reply]) => {
        if (err) throw err;
        return reply as [string, string[]];
      });
    });
    const stillPending: Array<readonly [string, string]> = [];
    replies.forEach(([next, flat], i) => {
      for (let f = 0; f + 1 < flat.length; f += 2) entries.push([flat[f]!, flat[f + 1]!, node.id]);
      if (next !== '0') stillPending.push([batch[i]![0], next]);
    });
    hashesDone += batch.length;
    state = advance(
      {
        node: state.node,
        scan: state.scan,
        pending: [...stillPending, ...state.pending.slice(batch.length)],
      },
      nodes.length,
    );
  }
  return { entries, state };
}

/** Moves past finished nodes; `undefined` when the last one is finished. */
function advance(state: ListState, nodeCount: number): ListState | undefined {
  let current = state;
  while (current.scan === null && current.pending.length === 0) {
    if (current.node + 1 >= nodeCount) return undefined;
    current = { node: current.node + 1, scan: '0', pending: [] };
  }
  return current;
}
