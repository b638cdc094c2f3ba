import { ClosedError, ConfigError } from '../errors/index.js';
import { StorageLayout, type CounterLocation } from '../storage/index.js';
import { assertCounterName } from '../validation/index.js';
import { listPage } from './counter-lister.js';
import { storedText, valueConverter, type CounterValue, type ValueMode } from './counter-value.js';
import { CounterWatch, type WatchCallback } from './counter-watch.js';
import { CounterWatcher } from './counter-watcher.js';
import { decodeCursor, encodeCursor, type ListState } from './list-cursor.js';
import { NodeClient } from './node-client.js';
import type { CountdConfig } from '../config/index.js';
import {
  readerOptionsFromConfig,
  resolveReaderOptions,
  type CounterReaderInput,
  type CounterReaderOptions,
  type ReaderConfigOverrides,
} from './reader-options.js';

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
  readonly layout: StorageLayout;
  private readonly clients: readonly NodeClient[];
  private readonly byId: ReadonlyMap<string, NodeClient>;
  private readonly convert: (text: string | null, counter: string, node: string) => CounterValue<M>;
  private watcher: CounterWatcher | undefined;
  private closing: Promise<void> | undefined;

  /** Throws a ConfigError naming the option when the options are invalid. */
  constructor(options: CounterReaderInput<M>) {
    const o = (this.options = resolveReaderOptions(options));
    this.layout = new StorageLayout(o.ring, o.prefix, o.buckets);
    const settings = {
      connectTimeoutMs: o.connectTimeoutMs,
      commandTimeoutMs: o.commandTimeoutMs,
      role: 'countd-reader',
    };
    this.clients = o.nodes.map((node) => new NodeClient(node.id, node.connection, settings));
    this.byId = new Map(this.clients.map((client) => [client.id, client]));
    this.convert = valueConverter(o.values);
  }

  /**
   * A reader for the deployment a config describes: the very nodes, ring, prefix and buckets
   * its workers use, so it reads where they write. `options` set the rest (value mode,
   * timeouts): `CounterReader.fromConfig(parseConfig(process.env), { values: 'bigint' })`.
   */
  static fromConfig<M extends ValueMode = 'number'>(
    config: CountdConfig,
    options?: ReaderConfigOverrides<M>,
  ): CounterReader<M> {
    return new CounterReader<M>(readerOptionsFromConfig(config, options));
  }

  /** Node, hash and field of a counter (validates the name). */
  locate(name: string): CounterLocation {
    assertCounterName(name);
    return this.layout.locate(name);
  }

  /** The value of a counter; 0 when it does not exist. */
  async get(name: string): Promise<CounterValue<M>> {
    const { client, key, field } = this.place(name);
    const text = await client.run('HGET', (redis) => redis.hget(key, field));
    return this.convert(text, name, client.id);
  }

  /**
   * Values of many counters, in the order of `names` (a name given twice appears once), 0 for
   * missing ones. Per node one pipeline of HMGET, one per hash; nodes are read in parallel.
   */
  async getMany(names: Iterable<string>): Promise<Map<string, CounterValue<M>>> {
    this.assertOpen();
    const list = [...names];
    const plan = new Map<NodeClient, Map<string, string[]>>();
    for (const name of list) {
      const { client, key, field } = this.place(name);
      let hashes = plan.get(client);
      if (hashes === undefined) plan.set(client, (hashes = new Map()));
      const fields = hashes.get(key);
      if (fields === undefined) hashes.set(key, [field]);
      else fields.push(field);
    }
    const found = new Map<string, CounterValue<M>>();
    await Promise.all(
      [...plan].map(([client, hashes]) =>
        client.run('HMGET', async (redis) => {
          const pipeline = redis.pipeline();
          for (const [key, fields] of hashes) pipeline.hmget(key, ...fields);
          const results = (await pipeline.exec()) ?? [];
          let i = 0;
          for (const fields of hashes.values()) {
            const [err, values] = results[i++] ?? [new Error('missing pipeline reply'), null];
            if (err) throw err;
            fields.forEach((field, f) => {
              const text = (values as Array<string | null>)[f] ?? null;
              found.set(field, this.convert(text, field, client.id));
            });
          }
        }),
      ),
    );
    const out = new Map<string, CounterValue<M>>();
    for (const name of list) out.set(name, found.get(name)!);
    return out;
  }

  /**
   * Replaces a counter's stored value. Increments a worker holds but has not flushed yet are
   * added to it when they land: `set` sets the base, not the final value.
   */
  async set(name: string, value: number | bigint): Promise<void> {
    const { client, key, field } = this.place(name);
    const text = storedText(name, value);
    await this.write(client, 'HSET', (multi) => multi.hset(key, field, text), `${name}\t${text}`);
  }

  /**
   * Deletes a counter (it reads as 0 afterwards). Like {@link set}, increments still in flight
   * land afterwards and bring it back.
   */
  async reset(name: string): Promise<void> {
    const { client, key, field } = this.place(name);
    await this.write(client, 'HDEL', (multi) => multi.hdel(key, field), `${name}\t0`);
  }

  /**
   * One page of the counters whose name matches `glob` (Redis glob, see docs/reading.md), on
   * every node. Bounded work per call; a page may hold fewer than `count` counters, even none,
   * while the cursor is defined: keep calling until it is `undefined`. A counter that exists for
   * the whole listing is returned exactly once, unless a hash is resized during the listing
   * (then, as with SCAN, it may come twice); counters created or deleted meanwhile may be missed.
   */
  async list(glob: string, options: ListOptions = {}): Promise<CounterPage<M>> {
    this.assertOpen();
    checkGlob(glob);
    const count = options.count ?? DEFAULT_LIST_COUNT;
    if (!Number.isSafeInteger(count) || count < 1 || count > MAX_LIST_COUNT) {
      throw new ConfigError('count', `must be an integer from 1 to ${MAX_LIST_COUNT}`);
    }
    const ids = this.clients.map((c) => c.id);
    const pattern = this.layout.keys.bucketPattern();
    const start: ListState =
      options.cursor === undefined
        ? { node: 0, scan: '0', pending: [] }
        : decodeCursor(options.cursor, ids, pattern);
    const page = await listPage(this.clients, start, glob, count, pattern);
    return {
      counters: page.entries.map(([name, text, node]) => [name, this.convert(text, name, node)]),
      cursor: page.state === undefined ? undefined : encodeCursor(page.state, ids),
    };
  }

  /** Every counter matching `glob`, page by page through {@link list}. */
  async *listAll(
    glob: string,
    options: Pick<ListOptions, 'count'> = {},
  ): AsyncGenerator<[name: string, value: CounterValue<M>]> {
    let cursor: string | undefined;
    do {
      const page = await this.list(glob, { count: options.count, cursor });
      yield* page.counters;
      cursor = page.cursor;
    } while (cursor !== undefined);
  }

  /**
   * Calls `callback` with the new values of the counters matching `glob` each time a flush (or
   * `set`/`reset`) changes them, from every node's `<prefix>:updates` channel. One subscriber
   * connection per node, shared by the reader's watches, reconnected and re-subscribed after a
   * node restart. Malformed messages never throw: they are skipped and reported as `skipped`.
   */
  watch(glob: string, callback: WatchCallback<M>): CounterWatch<M> {
    this.assertOpen();
    checkGlob(glob);
    if (typeof callback !== 'function') throw new ConfigError('callback', 'must be a function');
    this.watcher ??= new CounterWatcher(
      this.options.nodes,
      this.layout.keys.updatesChannel(),
      this.options.connectTimeoutMs,
      (idle) => {
        if (this.watcher === idle) this.watcher = undefined;
      },
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

  /** Closes every watch and connection. Idempotent; runs every step even if one fails. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const steps = [...this.clients.map((c) => c.close())];
      if (this.watcher !== undefined) steps.push(this.watcher.close());
      await Promise.allSettled(steps);
    })();
    return this.closing;
  }

  private place(name: string): { client: NodeClient; key: string; field: string } {
    this.assertOpen();
    assertCounterName(name);
    const { node, key, field } = this.layout.locate(name);
    const client = this.byId.get(node);
    if (client === undefined) {
      throw new ConfigError(
        'ring',
        `placed ${JSON.stringify(name)} on node "${node}", not in nodes`,
      );
    }
    return { client, key, field };
  }

  private async write(
    client: NodeClient,
    what: string,
    command: (multi: ReturnType<ReturnType<NodeClient['client']>['multi']>) => void,
    update: string,
  ): Promise<void> {
    await client.run(what, async (redis) => {
      const multi = redis.multi();
      command(multi);
      // In the same transaction: a flush cannot publish between the write and its update.
      if (this.options.publishWrites) multi.publish(this.layout.keys.updatesChannel(), update);
      const results = (await multi.exec()) ?? [];
      for (const [err] of results) if (err) throw err;
    });
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
