import type { Redis } from 'ioredis';
import type { StorageLayout } from './storage-layout.js';

/** Redis's default `hash-max-listpack-entries`: what a node that refuses CONFIG is taken to use. */
export const DEFAULT_LISTPACK_ENTRIES = 128;

/** A fitted layout leaves room for the counters to grow this many times before it is full. */
export const FIT_GROWTH = 2;

/** HLENs per pipeline while a node's hashes are counted. */
const HLEN_CHUNK = 2000;

/**
 * Mean fields per hash that keeps the fullest of thousands of hashes under `limit`: bucket fills
 * are ~Poisson (crc32 of the names), so the mean plus 5 standard deviations (the square root of
 * the mean) must stay below it.
 */
export function safeMeanFields(limit: number): number {
  const root = (-5 + Math.sqrt(25 + 4 * limit)) / 2;
  return Math.max(1, Math.floor(root * root));
}

/** How full one node's hashes are under a layout. */
export interface NodeFill {
  readonly node: string;
  readonly counters: number;
  /** Fields of its fullest hash. */
  readonly fullest: number;
  /** Its `hash-max-listpack-entries`: past it a hash turns into a hashtable (~3× the bytes). */
  readonly listpackEntries: number;
  /** False when the node refused `CONFIG GET` (the default was assumed). */
  readonly listpackKnown: boolean;
}

/** Counts the fields of every hash of `layout` on one node, and reads its listpack limit. */
export async function measureNodeFill(
  node: string,
  client: Redis,
  layout: StorageLayout,
): Promise<NodeFill> {
  let counters = 0;
  let fullest = 0;
  for (let first = 0; first < layout.buckets; first += HLEN_CHUNK) {
    const pipeline = client.pipeline();
    const last = Math.min(layout.buckets, first + HLEN_CHUNK);
    for (let b = first; b < last; b++) pipeline.hlen(layout.bucketKey(b));
    for (const [err, fields] of (await pipeline.exec()) ?? []) {
      if (err) throw err;
      counters += Number(fields);
      fullest = Math.max(fullest, Number(fields));
    }
  }
  const entries = await listpackEntriesOf(client);
  return {
    node,
    counters,
    fullest,
    listpackEntries: entries ?? DEFAULT_LISTPACK_ENTRIES,
    listpackKnown: entries !== undefined,
  };
}

/**
 * Hashes per node that keep every node's hashes listpacks with room for the counters to grow
 * {@link FIT_GROWTH} times: the most any node holds over the mean fill its limit allows.
 */
export function fittedBuckets(fills: readonly NodeFill[]): number {
  let buckets = 1;
  for (const fill of fills) {
    const needed = Math.ceil((fill.counters * FIT_GROWTH) / safeMeanFields(fill.listpackEntries));
    buckets = Math.max(buckets, needed);
  }
  return buckets;
}

/** The node's `hash-max-listpack-entries` (`-ziplist-` before Redis 7); undefined if refused. */
export async function listpackEntriesOf(client: Redis): Promise<number | undefined> {
  for (const name of ['hash-max-listpack-entries', 'hash-max-ziplist-entries']) {
    try {
      const reply = (await client.config('GET', name)) as string[];
      const value = Number(reply[1]);
      if (reply.length >= 2 && Number.isSafeInteger(value) && value > 0) return value;
    } catch {
      // CONFIG is often disabled on managed Redis: the default is assumed, and said.
      return undefined;
    }
  }
  return undefined;
}
