import { ClosedError, ConfigError } from '../errors/index.js';
import { StorageLayout, type CounterLocation } from '../storage/index.js';
import { assertCounterName } from '../validation/index.js';
import { listPage } from './counter-lister.js';
import {
  exactConverter,
  storedText,
  valueConverter,
  type CounterValue,
  type ValueMode,
} from './counter-value.js';
import { CounterWatch, type WatchCallback } from './counter-watch.js';
import { CounterWatcher } from './counter-watcher.js';
import { writeCounter, type WriteTarget } from './counter-writes.js';
import { planOf, readPlan } from './hash-plan.js';
import { decodeCursor, encodeCursor, type ListState } from './list-cursor.js';
import type { NodeClient } from './node-client.js';
import { NodePool } from './node-pool.js';
import type { CountdConfig } from '../config/index.js';
import {
  readerOptionsFromConfig,
  resolveReaderOptions,
  type CounterReaderInput,
  type CounterReaderOptions,
  type ReaderConfigOverrides,
  type ReaderNode,
} from './reader-options.js';
import { staticView, type ReaderView } from './reader-view.js';
import { RingFollower } from './ring-follower.js';
import { readSeries, type Series } from './series-reader.js';
import { assertStepKept, seriesRequest, type SeriesOptions } from './series-request.js';
import { readAcrossChange } from './split-reads.js';
import { watchFollowOf } from './watch-follow.js';

/** Options of {@link CounterReader.list}. */
export interface ListOptions {
  /** From the previous page; omit to start. */
  readonly cursor?: string | undefined;
  /** Counters wanted per page: a target, like SCAN's COUNT (1..10000). @defaultValue `100` */
  readonly count?: number | undefined;
}

/** One page of {@link CounterReader.list}. */
export interface CounterPage<M extends ValueMode> {
  readonly counters: Array<[name: string, value: CounterValue<M>]>;
  /** Pass it to the next call; `undefined` when the listing is complete. */
  readonly cursor: string | undefined;
}

const DEFAULT_LIST_COUNT = 100;
const MAX_LIST_COUNT = 10_000;
const MAX_GLOB_BYTES = 1024;

/**
 * Reads counters where the workers store them (see docs/reading.md): `get`, `getMany`,
 * `list`, and live updates with `watch`; `set` and `reset` for corrections. One connection
 * per node, opened on first use. Values are numbers or bigints, per the `values` option.
 * With the `fleet` option (set by `fromConfig` when the config has a queue URL) it follows the
 * fleet's registered ring and reads correctly while the ring changes (docs/ring.md).
 *
 * @example
 * ```ts
 * const reader = new CounterReader({ nodes, ring: new HashRing(nodes) });
 * const views = await reader.get('page:home'); // 0 when the counter does not exist
 * await reader.close();
 * ```
 */
export class CounterReader<M extends ValueMode = 'number'> {
  readonly options: Readonly<CounterReaderOptions<M>>;
  private readonly pool: NodePool;
  /** The reader's own nodes and ring: its view when it does not follow the fleet. */
  private readonly own: ReaderView;
  private readonly follower: RingFollower | undefined;
  private readonly convert: (text: string | null, counter: string, node: string) => CounterValue<M>;
  private readonly convertExact: (value: bigint, counter: string, node: string) => CounterValue<M>;
  private readonly clientOf = (node: string): NodeClient => this.client(node);
  private watcher: CounterWatcher | undefined;
  private closing: Promise<void> | undefined;

  /** Throws a ConfigError naming the option when the options are invalid. */
  constructor(options: CounterReaderInput<M>) {
    const o = (this.options = resolveReaderOptions(options));
    const layout = new StorageLayout(o.ring, o.prefix, o.buckets);
    const timeouts = { connectTimeoutMs: o.connectTimeoutMs, commandTimeoutMs: o.commandTimeoutMs };
    this.pool = new NodePool(o.nodes, { ...timeouts, role: 'countd-reader' });
    this.own = staticView(
      layout,
      o.nodes.map((n) => n.id),
      0,
    );
    this.follower =
      o.fleet === undefined
        ? undefined
        : new RingFollower(o.fleet, layout, this.pool, o.nodes[0]!.connection, timeouts);
    this.convert = valueConverter(o.values);
    this.convertExact = exactConverter(o.values);
  }

  /**
   * A reader for the deployment a config describes: the very nodes, ring, prefix and buckets
   * its workers use, so it reads where they write; with a queue URL in the config it follows
   * the fleet's registered ring. `options` set the rest (value mode, timeouts):
   * `CounterReader.fromConfig(parseConfig(process.env), { values: 'bigint' })`.
   */
  static fromConfig<M extends ValueMode = 'number'>(
    config: CountdConfig,
    options?: ReaderConfigOverrides<M>,
  ): CounterReader<M> {
    return new CounterReader<M>(readerOptionsFromConfig(config, options));
  }

  /** The layout counters are read from: with `fleet`, that of the ring read last. */
  get layout(): StorageLayout {
    return this.view().layout;
  }

  /** Node, hash and field of a counter (validates the name); with `fleet`, in the ring read last. */
  locate(name: string): CounterLocation {
    assertCounterName(name);
    return this.layout.locate(name);
  }

  /** The value of a counter; 0 when it does not exist. */
  async get(name: string): Promise<CounterValue<M>> {
    this.assertOpen();
    assertCounterName(name);
    if (this.follower !== undefined) return (await this.getMany([name])).get(name)!;
    const { node, key, field } = this.own.layout.locate(name);
    const client = this.client(node);
    const text = await client.run('HGET', (redis) => redis.hget(key, field));
    return this.convert(text, name, client.id);
  }

  /**
   * Values of many counters, in the order of `names` (a name given twice appears once), 0 for
   * missing ones. Per node one pipeline of HMGET, one per hash; nodes are read in parallel.
   * During a ring change, counters it splits are read at both locations (docs/ring.md).
   */
  async getMany(names: Iterable<string>): Promise<Map<string, CounterValue<M>>> {
    this.assertOpen();
    const list = [...names];
    for (const name of list) assertCounterName(name);
    return this.follower === undefined
      ? this.readAt(this.own, list)
      : this.follower.read((view) => this.readAt(view, list));
  }

  /**
   * How much a counter grew per `step` bucket whose start is in `[from, to)`, oldest first, 0 for
   * empty buckets (docs/reading.md, "Series"). `step` must be kept by the rollups; throws an
   * `InvalidSeriesRequestError` naming the field otherwise, or past 10,000 buckets.
   */
  async getSeries(name: string, options: SeriesOptions): Promise<Series<M>> {
    return (await this.getSeriesMany([name], options)).get(name)!;
  }

  /**
   * The series of many counters (a name given twice appears once), as {@link getSeries}: per node
   * one pipeline of HMGET, one per bucket and hash. During a ring change, the buckets of a
   * counter it moves are read at both locations, like totals (docs/ring.md).
   */
  async getSeriesMany(
    names: Iterable<string>,
    options: SeriesOptions,
  ): Promise<Map<string, Series<M>>> {
    this.assertOpen();
    const list = [...names];
    for (const name of list) assertCounterName(name);
    const request = seriesRequest(options);
    const read = (view: ReaderView) => {
      assertStepKept(request.step, view.rollups ?? this.options.rollups.map((r) => r.granularity));
      return readSeries(view, list, request, this.clientOf, this.convertExact);
    };
    return this.follower === undefined ? read(this.own) : this.follower.read(read);
  }

  /**
   * Replaces a counter's stored value. Increments a worker holds but has not flushed yet are
   * added to it when they land: `set` sets the base, not the final value.
   */
  async set(name: string, value: number | bigint): Promise<void> {
    this.assertOpen();
    assertCounterName(name);
    await this.write(name, storedText(name, value));
  }

  /**
   * Deletes a counter (it reads as 0 afterwards). Like {@link set}, increments still in flight
   * land afterwards and bring it back.
   */
  async reset(name: string): Promise<void> {
    this.assertOpen();
    assertCounterName(name);
    await this.write(name, null);
  }

  /**
   * One page of the counters whose name matches `glob` (Redis glob, see docs/reading.md), on
   * every node. Bounded work per call; a page may hold fewer than `count` counters, even none,
   * while the cursor is defined: keep calling until it is `undefined`. A counter that exists for
   * the whole listing is returned exactly once, unless a hash is resized during the listing
   * (then, as with SCAN, it may come twice) or a ring change runs (a counter it moves may be
   * listed by two pages, with its whole value each time); counters created or deleted
   * meanwhile may be missed.
   */
  async list(glob: string, options: ListOptions = {}): Promise<CounterPage<M>> {
    this.assertOpen();
    checkGlob(glob);
    const count = options.count ?? DEFAULT_LIST_COUNT;
    if (!Number.isSafeInteger(count) || count < 1 || count > MAX_LIST_COUNT) {
      throw new ConfigError('count', `must be an integer from 1 to ${MAX_LIST_COUNT}`);
    }
    const page = async (view: ReaderView): Promise<CounterPage<M>> => {
      const ids = view.nodeIds;
      const pattern = view.layout.keys.bucketPattern();
      const start: ListState =
        options.cursor === undefined
          ? { node: 0, scan: '0', pending: [] }
          : decodeCursor(options.cursor, ids, pattern, this.follower !== undefined);
      const raw = await listPage(ids.map(this.clientOf), start, glob, count, pattern);
      const cursor = raw.state === undefined ? undefined : encodeCursor(raw.state, ids);
      if (view.placement === undefined) {
        const counters = raw.entries.map(([name, text, node]): [string, CounterValue<M>] => [
          name,
          this.convert(text, name, node),
        ]);
        return { counters, cursor };
      }
      // HSCAN found one location's partial sum: the whole values are read across the change.
      const names = [...new Set(raw.entries.map(([name]) => name))];
      return { counters: [...(await this.readAt(view, names))], cursor };
    };
    return this.follower === undefined ? page(this.own) : this.follower.read(page);
  }

  /**
   * Every counter matching `glob`, page by page through {@link list}. With `fleet`, each name
   * is yielded once even when a ring change lists it twice (the names yielded are kept).
   */
  async *listAll(
    glob: string,
    options: Pick<ListOptions, 'count'> = {},
  ): AsyncGenerator<[name: string, value: CounterValue<M>]> {
    const seen = this.follower === undefined ? undefined : new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await this.list(glob, { count: options.count, cursor });
      for (const entry of page.counters) {
        if (seen !== undefined) {
          if (seen.has(entry[0])) continue;
          seen.add(entry[0]);
        }
        yield entry;
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
  }

  /**
   * Calls `callback` with the new values of the counters matching `glob` each time a flush (or
   * `set`/`reset`) changes them, from every node's `<prefix>:updates` channel. One subscriber
   * connection per node, shared by the reader's watches, reconnected and re-subscribed after a
   * node restart. Malformed messages never throw: they are skipped and reported as `skipped`.
   * With `fleet`, the nodes of the current ring are watched, and while a change splits a
   * counter its value is re-read across the change before it is delivered.
   */
  watch(glob: string, callback: WatchCallback<M>): CounterWatch<M> {
    this.assertOpen();
    checkGlob(glob);
    if (typeof callback !== 'function') throw new ConfigError('callback', 'must be a function');
    this.watcher ??= new CounterWatcher(
      this.nodesOf(this.view()),
      this.view().layout.keys.updatesChannel(),
      this.options.connectTimeoutMs,
      (idle) => {
        if (this.watcher === idle) this.watcher = undefined;
      },
      this.follower === undefined
        ? undefined
        : watchFollowOf(
            this.follower,
            (view) => this.nodesOf(view),
            this.clientOf,
            this.options.ringPollMs,
          ),
    );
    const watcher = this.watcher;
    const watch = new CounterWatch(glob, this.options.values, callback, watcher);
    watcher.add(watch as unknown as CounterWatch<ValueMode>);
    return watch;
  }

  /** Nodes whose updates channel is not subscribed now (none while no watch is open). */
  unwatchedNodes(): Array<{ node: string; error: Error | undefined }> {
    return this.watcher?.unsubscribedNodes() ?? [];
  }

  /** Ids of the nodes whose updates are watched; with no watch open, of the nodes read last. */
  watchedNodes(): string[] {
    return this.watcher?.nodeIds() ?? [...this.view().nodeIds];
  }

  /** Closes every watch and connection. Idempotent; runs every step even if one fails. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const steps = [this.pool.close()];
      if (this.follower !== undefined) steps.push(this.follower.close());
      if (this.watcher !== undefined) steps.push(this.watcher.close());
      await Promise.allSettled(steps);
    })();
    return this.closing;
  }

  private view(): ReaderView {
    return this.follower?.last ?? this.own;
  }

  private async readAt(view: ReaderView, names: string[]): Promise<Map<string, CounterValue<M>>> {
    const out = new Map<string, CounterValue<M>>();
    if (view.placement !== undefined) {
      const exact = await readAcrossChange(view.placement, names, this.clientOf);
      for (const name of names) {
        const { value, node } = exact.get(name)!;
        out.set(name, this.convertExact(value, name, node));
      }
      return out;
    }
    const located = names.map((name) => view.layout.locate(name));
    const found = await readPlan(planOf(located), this.clientOf);
    for (const { node, field } of located) {
      out.set(field, this.convert(found.get(node)?.get(field) ?? null, field, node));
    }
    return out;
  }

  private async write(name: string, text: string | null): Promise<void> {
    const write = (view: ReaderView) => {
      const target: WriteTarget = view.placement?.locate(name) ?? {
        current: view.layout.locate(name),
      };
      const publish = this.options.publishWrites ? view.layout.keys.updatesChannel() : undefined;
      return writeCounter(target, text, this.clientOf, publish);
    };
    await (this.follower === undefined ? write(this.own) : this.follower.read(write));
  }

  private nodesOf(view: ReaderView): ReaderNode[] {
    return view.nodeIds.map((id) => this.pool.node(id)!);
  }

  private client(node: string): NodeClient {
    this.assertOpen();
    const client = this.pool.client(node);
    if (client === undefined) {
      throw new ConfigError('ring', `placed a counter on node "${node}", not in nodes`);
    }
    return client;
  }

  private assertOpen(): void {
    if (this.closing !== undefined) throw new ClosedError('CounterReader');
  }
}

function checkGlob(glob: string): void {
  if (typeof glob !== 'string' || glob === '') {
    throw new ConfigError('glob', 'must be a non-empty string');
  }
  if (Buffer.byteLength(glob, 'utf8') > MAX_GLOB_BYTES) {
    throw new ConfigError('glob', `is longer than ${MAX_GLOB_BYTES} bytes`);
  }
}
