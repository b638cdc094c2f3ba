import { EventEmitter } from 'node:events';
import { Redis, type RedisOptions } from 'ioredis';
import { CountdError } from '../errors/index.js';
import { closeConnection } from '../redis/index.js';
import { readRingEpoch, readRingState } from '../ring-change/index.js';
import type { StorageLayout } from '../storage/index.js';
import { RingStateUnavailableError, RingUnsettledError } from './errors/index.js';
import type { NodePool } from './node-pool.js';
import type { FleetLink } from './reader-options.js';
import { staticView, viewOfState, type ReaderView } from './reader-view.js';
import { registeredConnection } from './registered-connection.js';

/**
 * Attempts of one read whose ring epoch moved before it is given up: a change moves the epoch
 * a handful of times (docs/ring.md), and a read takes milliseconds.
 */
export const MAX_READ_ATTEMPTS = 10;

export interface RingFollowerEvents {
  /** The view changed: another ring version, or a change started or stopped splitting. */
  view: [view: ReaderView];
}

/** Timeouts of the queue connection. */
export interface RingFollowerSettings {
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
}

/**
 * Follows the fleet's registered ring for a reader: reads the ring epoch before each read and
 * the records again when it moved, and runs reads so that none returns values read across
 * two placements (docs/ring.md, "Reads during a change"). Nodes a record names and the
 * reader's own nodes do not are added to the reader's pool.
 */
export class RingFollower extends EventEmitter<RingFollowerEvents> {
  private redis: Redis | undefined;
  private lastError: Error | undefined;
  private view: ReaderView;
  private loaded = false;
  private loading: Promise<ReaderView> | undefined;
  private closed = false;

  constructor(
    private readonly link: FleetLink,
    private readonly fallback: StorageLayout,
    private readonly pool: NodePool,
    private readonly credentialsFrom: RedisOptions,
    private readonly settings: RingFollowerSettings,
  ) {
    super();
    this.view = this.fallbackView(0);
  }

  /** The view of the last records read (the reader's own ring before the first read). */
  get last(): ReaderView {
    return this.view;
  }

  /** The view at the current epoch: the records are read again when it moved. */
  async current(): Promise<ReaderView> {
    if (this.loaded && (await this.epoch()) === this.view.epoch) return this.view;
    return this.reload();
  }

  /**
   * Runs `read` at the current view and checks the epoch after it: when it moved to another
   * view, the values may mix two placements and `read` runs again at the new one, at most
   * {@link MAX_READ_ATTEMPTS} times (then a {@link RingUnsettledError}). `read` must have no
   * effect that a second run at another view would get wrong.
   */
  async read<T>(read: (view: ReaderView) => Promise<T>): Promise<T> {
    let view = await this.current();
    for (let attempt = 1; ; attempt++) {
      const result = await read(view);
      if ((await this.epoch()) === view.epoch) return result;
      const next = await this.reload();
      if (next.signature === view.signature) return result;
      if (attempt >= MAX_READ_ATTEMPTS) throw new RingUnsettledError(this.link.queueName, attempt);
      view = next;
    }
  }

  /** Closes the queue connection; idempotent, never throws. */
  async close(): Promise<void> {
    this.closed = true;
    const redis = this.redis;
    this.redis = undefined;
    if (redis !== undefined) await closeConnection(redis);
  }

  private reload(): Promise<ReaderView> {
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(): Promise<ReaderView> {
    const keys = this.fallback.keys;
    const state = await this.queueCall(() =>
      readRingState(this.queue(), keys, this.link.queueName),
    );
    const view = viewOfState(state) ?? this.fallbackView(state.epoch);
    const credentials = this.credentialsFrom;
    for (const id of view.nodeIds) {
      if (this.pool.has(id)) continue;
      const ringKey = keys.fleetRing(this.link.queueName);
      this.pool.add(id, registeredConnection(id, state, ringKey, credentials));
    }
    const before = this.view;
    this.view = view;
    this.loaded = true;
    if (before.signature !== view.signature || before.nodeIds.join() !== view.nodeIds.join())
      this.emit('view', view);
    return view;
  }

  private epoch(): Promise<number> {
    return this.queueCall(() =>
      readRingEpoch(this.queue(), this.fallback.keys, this.link.queueName),
    );
  }

  private fallbackView(epoch: number): ReaderView {
    const ids = [...this.pool.configuredIds()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return staticView(this.fallback, ids, epoch);
  }

  private queue(): Redis {
    if (this.closed) throw new Error('the reader is closed');
    if (this.redis === undefined) {
      const redis = new Redis({
        // One reconnect attempt per command: a queue that is down fails reads fast.
        maxRetriesPerRequest: 1,
        ...this.link.queue,
        lazyConnect: true,
        connectTimeout: this.settings.connectTimeoutMs,
        commandTimeout: this.settings.commandTimeoutMs,
        connectionName: 'countd-reader-ring',
      });
      redis.on('error', (err: Error) => {
        this.lastError = err;
      });
      redis.on('ready', () => {
        this.lastError = undefined;
      });
      this.redis = redis;
    }
    return this.redis;
  }

  private async queueCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (err instanceof CountdError) throw err;
      const cause = err instanceof Error ? err : new Error(String(err));
      const detail = (this.redis?.status === 'ready' ? cause : (this.lastError ?? cause)).message;
      throw new RingStateUnavailableError(this.link.queueName, detail, cause);
    }
  }
}
