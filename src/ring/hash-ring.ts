import { ConfigError } from '../errors/index.js';
import { buildContinuum, findPoint, type Continuum } from './continuum.js';
import { LookupCache } from './lookup-cache.js';
import { Md5 } from './md5.js';
import {
  canonicalNodes,
  resolveRingOptions,
  type HashRingOptions,
  type RingAlgorithm,
  type RingNode,
} from './ring-options.js';

/** What placement depends on: the input of a ring fingerprint, minus the storage layout. */
export interface RingDefinition {
  /** Sorted by id. */
  readonly nodes: readonly RingNode[];
  readonly algorithm: RingAlgorithm;
  /** Set for the `points` algorithm only. */
  readonly pointsPerWeight?: number;
}

/** Lookups between two reviews of the memo's hit rate. */
const MEMO_WINDOW = 1 << 16;
/**
 * Below this hit rate the memo costs more than it saves, and lookups skip it. A hit costs a
 * `Map.get` on a large map; a miss costs two failed gets and an insert on top of the md5 and
 * the search. Measured (docs/performance.md) on a worker's stream of pairs parsed from jobs,
 * 1M counters and 3 nodes: memo on 1.8 M lookups/s (Zipf 1.1) and 0.8 M/s (uniform), memo
 * off 3.0 and 2.3 M/s; on a hot set that fits the memo it is ~3x faster than off (docs/ring.md).
 */
const MEMO_MIN_HIT_RATE = 0.8;
/** While skipped, the memo is tried again (from empty) for one window in this many. */
const MEMO_RETRY_WINDOWS = 16;

/**
 * An immutable consistent-hash ring mapping counter names to node ids.
 *
 * Placement (see docs/ring.md): a name's hash is the first little-endian word of md5(UTF-8
 * name); it goes to the node of the first point `>= hash`, wrapping to the first point. With
 * the default `ketama` algorithm this is libketama's placement, so services in other languages
 * locate a counter with a standard ketama library (for node ids of at most 21 bytes, the part
 * of a name libketama keeps). Equal points, rare with 32-bit points, go to the node whose id
 * sorts first, so the order nodes are given in never matters.
 *
 * Lookups are memoized in a bounded cache while that pays: when fewer than `MEMO_MIN_HIT_RATE`
 * (80%) of the lookups of a window hit (many more distinct names than the cache holds),
 * lookups skip it and it is retried from time to time. The ring itself never changes:
 * {@link withNode} and {@link withoutNode} build new rings.
 */
export class HashRing {
  /** The nodes, sorted by id, as frozen `{id, weight}` copies. */
  readonly nodes: readonly RingNode[];
  readonly options: Readonly<HashRingOptions>;
  private readonly given: Partial<HashRingOptions>;
  private readonly continuum: Continuum;
  private readonly ids: readonly string[];
  // One hasher per ring keeps the scratch buffer out of module state; lookups are synchronous.
  private readonly md5 = new Md5();
  private readonly cache: LookupCache<string>;
  private memo: boolean;
  private windowLookups = 0;
  private windowHits = 0;
  private skippedWindows = 0;

  /** Throws {@link ConfigError} on an empty list, bad or duplicate ids, bad weights or options. */
  constructor(nodes: readonly RingNode[], options: Partial<HashRingOptions> = {}) {
    this.options = resolveRingOptions(options);
    this.given = Object.freeze({ ...options });
    this.nodes = canonicalNodes(nodes);
    this.ids = this.nodes.map((node) => node.id);
    this.continuum = buildContinuum(
      this.nodes,
      this.options.algorithm,
      this.options.pointsPerWeight,
      this.md5,
    );
    this.cache = new LookupCache(this.options.cacheSize);
    this.memo = this.options.cacheSize > 0;
  }

  get algorithm(): RingAlgorithm {
    return this.options.algorithm;
  }

  /** Everything placement depends on, ready for {@link ringFingerprint}. */
  get definition(): RingDefinition {
    return this.algorithm === 'points'
      ? { nodes: this.nodes, algorithm: 'points', pointsPerWeight: this.options.pointsPerWeight }
      : { nodes: this.nodes, algorithm: this.algorithm };
  }

  /** Total points on the ring. */
  get size(): number {
    return this.continuum.points.length;
  }

  has(id: string): boolean {
    return this.ids.includes(id);
  }

  /** Points node `id` owns on the ring (0 when it is not a node). */
  pointCount(id: string): number {
    const index = this.ids.indexOf(id);
    return index === -1 ? 0 : this.continuum.pointCounts[index]!;
  }

  /** The ketama hash of a name: bytes 3..0 of md5(UTF-8 name) as an unsigned 32-bit integer. */
  keyHash(name: string): number {
    return this.md5.digest(name);
  }

  /**
   * The node of a name whose {@link keyHash} is `hash`, without the memo: a ring change places
   * each of millions of names on two rings, and hashing it once halves its md5 work.
   */
  locateHash(hash: number): string {
    const { points, owners } = this.continuum;
    return this.ids[owners[findPoint(points, hash)]!]!;
  }

  /**
   * The id of the node that holds counter `name`. A hit costs one or two `Map.get`; a miss
   * hashes without allocating, searches the points and memoizes (the only allocation).
   */
  locate(name: string): string {
    if (++this.windowLookups === MEMO_WINDOW) this.reviewMemo();
    if (!this.memo) return this.place(name);
    const cached = this.cache.get(name);
    if (cached !== undefined) {
      this.windowHits++;
      return cached;
    }
    const id = this.place(name);
    this.cache.set(name, id);
    return id;
  }

  private place(name: string): string {
    const { points, owners } = this.continuum;
    return this.ids[owners[findPoint(points, this.md5.digest(name))]!]!;
  }

  /** Turns the memo off when it missed too often in the last window; retries it now and then. */
  private reviewMemo(): void {
    if (this.options.cacheSize > 0) {
      if (this.memo && this.windowHits < MEMO_WINDOW * MEMO_MIN_HIT_RATE) {
        this.memo = false;
        this.cache.clear();
        this.skippedWindows = 0;
      } else if (!this.memo && ++this.skippedWindows >= MEMO_RETRY_WINDOWS) {
        this.memo = true;
      }
    }
    this.windowLookups = 0;
    this.windowHits = 0;
  }

  /** A new ring with `node` added. Throws {@link ConfigError} if its id is taken. */
  withNode(node: RingNode): HashRing {
    if (this.has(node.id)) {
      throw new ConfigError('nodes', `node id "${node.id}" is already in the ring`);
    }
    return new HashRing([...this.nodes, node], this.given);
  }

  /** A new ring without node `id`. Throws {@link ConfigError} if absent or the last node. */
  withoutNode(id: string): HashRing {
    if (!this.has(id)) throw new ConfigError('nodes', `node id "${id}" is not in the ring`);
    if (this.nodes.length === 1) {
      throw new ConfigError('nodes', `cannot remove "${id}": a ring needs at least one node`);
    }
    return new HashRing(
      this.nodes.filter((node) => node.id !== id),
      this.given,
    );
  }
}
