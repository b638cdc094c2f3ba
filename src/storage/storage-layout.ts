import { crc32 } from 'node:zlib';
import { CountdKeys } from '../keys/index.js';

/** Anything that maps a counter name to a node id: the hash ring. */
export interface NodeLocator {
  locate(name: string): string;
}

/** Where one counter is stored: `HINCRBY <key> <field> <delta>` on node `node`. */
export interface CounterLocation {
  readonly node: string;
  readonly key: string;
  readonly field: string;
}

/**
 * The one mapping from a counter name to its place in storage, used by the flusher, the
 * reader and the tools. Counters live in `B` small hashes per node, `<prefix>:t:<bucket>` with
 * `bucket = crc32(utf8(name)) mod B`, so Redis keeps them in the compact listpack encoding.
 * The bucket hash is independent of the ring's md5 so that buckets stay evenly filled on every node.
 */
export class StorageLayout {
  readonly keys: CountdKeys;
  private readonly bucketKeys: string[];

  constructor(
    readonly ring: NodeLocator,
    readonly prefix: string,
    readonly buckets: number,
  ) {
    if (!Number.isSafeInteger(buckets) || buckets < 1)
      throw new RangeError(`buckets must be a positive integer, got ${buckets}`);
    this.keys = new CountdKeys(prefix);
    this.bucketKeys = [];
  }

  /** The bucket (0..B-1) of a counter name. */
  bucketOf(name: string): number {
    return crc32(name) % this.buckets;
  }

  /** The hash key holding bucket `bucket`; keys are cached since flushes build them constantly. */
  bucketKey(bucket: number): string {
    let key = this.bucketKeys[bucket];
    if (key === undefined) {
      key = this.keys.bucket(bucket);
      this.bucketKeys[bucket] = key;
    }
    return key;
  }

  /** Node, hash key and field of a counter. */
  locate(name: string): CounterLocation {
    return { node: this.ring.locate(name), key: this.bucketKey(this.bucketOf(name)), field: name };
  }
}
