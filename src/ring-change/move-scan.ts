import type { Redis } from 'ioredis';
import type { CountdKeys } from '../keys/index.js';
import { scanCounters, scanHashes } from './counter-scan.js';
import type { MoveTargets } from './move-targets.js';

/** HSCAN COUNT of a move scan: a big hash comes in replies of about this many fields. */
const SCAN_COUNT = 1000;
/** SCAN COUNT when looking for time-bucket hashes. */
const KEY_SCAN_COUNT = 1000;

/** One field to fold from `sourceKey` on the node scanned into `key` on node `target`. */
export interface MoveItem {
  readonly sourceKey: string;
  readonly field: string;
  readonly value: string;
  readonly target: string;
  readonly targetKey: string;
  readonly flagKey: string;
  /** Absolute expiry (ms) of the source hash, 0 when it has none (counter hashes). */
  readonly expireAt: number;
}

/** What one HSCAN reply held: the fields scanned, and those that move. */
export interface MoveChunk {
  readonly kind: 'counters' | 'series';
  readonly scanned: number;
  readonly items: readonly MoveItem[];
}

/**
 * What node `node` (client `redis`) holds at its `from` locations that moves under `to`: every
 * counter of its `buckets` bucket hashes, then every field of its time-bucket hashes
 * (`seriesPattern()`, docs/series.md), one HSCAN reply at a time. Reads only. A time-bucket hash
 * SCAN returns twice is read twice: moving a field twice is harmless (its flag, see move-in.lua)
 * and counted once (the second fold is `already`).
 */
export async function* scanMoves(
  redis: Redis,
  node: string,
  keys: CountdKeys,
  buckets: number,
  targets: MoveTargets,
  signal?: AbortSignal,
): AsyncGenerator<MoveChunk> {
  for await (const batch of scanCounters(redis, keys, buckets, SCAN_COUNT, signal)) {
    const { entries, key, bucket } = batch;
    const items: MoveItem[] = [];
    for (let i = 0; i < entries.length; i += 2) {
      const field = entries[i]!;
      const to = targets.counter(field, node, bucket);
      if (to === undefined) continue;
      items.push({
        sourceKey: key,
        field,
        value: entries[i + 1]!,
        target: to.node,
        targetKey: to.key,
        flagKey: to.flagKey,
        expireAt: 0,
      });
    }
    yield { kind: 'counters', scanned: entries.length / 2, items };
  }
  let cursor = '0';
  do {
    signal?.throwIfAborted();
    const [next, found] = await redis.scan(
      cursor,
      'MATCH',
      keys.seriesPattern(),
      'COUNT',
      KEY_SCAN_COUNT,
    );
    cursor = next;
    const series = found.flatMap((k) => targets.parseSeries(k) ?? []);
    if (series.length === 0) continue;
    // Read before the fields: a key that expires in between then has no fields to move.
    const pipeline = redis.pipeline();
    for (const s of series) pipeline.pexpiretime(s.key);
    const expiries = ((await pipeline.exec()) ?? []).map(([err, v]) => {
      if (err) throw err;
      return Number(v);
    });
    const keyNames = series.map((s) => s.key);
    for await (const batch of scanHashes(redis, keyNames, SCAN_COUNT, signal)) {
      const s = series[batch.index]!;
      const expiry = expiries[batch.index] ?? -1;
      const { entries } = batch;
      const items: MoveItem[] = [];
      for (let i = 0; i < entries.length; i += 2) {
        const field = entries[i]!;
        const to = targets.series(field, node, s);
        if (to === undefined) continue;
        items.push({
          sourceKey: s.key,
          field,
          value: entries[i + 1]!,
          target: to.node,
          targetKey: to.key,
          flagKey: to.flagKey,
          expireAt: expiry > 0 ? expiry : 0,
        });
      }
      yield { kind: 'series', scanned: entries.length / 2, items };
    }
    targets.forgetSeries();
  } while (cursor !== '0');
}
