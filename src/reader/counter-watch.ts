import { EventEmitter } from 'node:events';
import { exactConverter, type CounterValue, type ValueMode } from './counter-value.js';
import { UnsafeCounterValueError, type MalformedUpdateError } from './errors/index.js';
import { compileGlob, type GlobMatcher } from './glob.js';

/** Receives the updates of one published message that match the watch's glob, in message order. */
export type WatchCallback<M extends ValueMode> = (
  updates: Array<[name: string, value: CounterValue<M>]>,
  node: string,
) => void;

export interface CounterWatchEvents {
  /** Subscribed to `node`'s updates, first or again after a reconnect. */
  subscribed: [node: string];
  /**
   * Lost the connection to `node`; ioredis reconnects and the watch subscribes again. Updates
   * published meanwhile are not delivered: re-read with `getMany`/`list` if they matter.
   */
  disconnected: [node: string, error: Error | undefined];
  /**
   * Part of a message was not delivered: a line not of the form `name<TAB>value`
   * ({@link MalformedUpdateError}), or, with `values: 'number'`, a value outside the safe range
   * ({@link UnsafeCounterValueError}). The rest of the message is delivered.
   */
  skipped: [error: MalformedUpdateError | UnsafeCounterValueError];
  /**
   * The callback threw. Emitted on the next tick, outside the connection's handler; as for any
   * EventEmitter, without an `error` listener the error is thrown (uncaught).
   */
  error: [error: unknown];
  /**
   * While a ring change splits counters, the updates of a message could not be re-read across
   * the change (a node or the queue Redis failed): they are not delivered, since their published
   * value may be a partial sum. Re-read with `getMany`/`list` if they matter.
   */
  missed: [error: unknown];
}

/** What a watch needs of the shared subscriptions. */
export interface WatchSource {
  allSubscribed(): Promise<void>;
  remove(watch: CounterWatch<ValueMode>): Promise<void>;
}

/**
 * A live subscription to the counters matching a glob, returned by `CounterReader.watch`.
 * Delivers updates to its callback until {@link close}.
 */
export class CounterWatch<M extends ValueMode = 'number'> extends EventEmitter<CounterWatchEvents> {
  private readonly matches: GlobMatcher;
  private readonly convert: (value: bigint, counter: string, node: string) => CounterValue<M>;
  private closing: Promise<void> | undefined;

  constructor(
    readonly glob: string,
    mode: M,
    private readonly callback: WatchCallback<M>,
    private readonly source: WatchSource,
  ) {
    super();
    this.matches = compileGlob(glob);
    this.convert = exactConverter(mode);
  }

  /** Resolves once the updates channel of every node is subscribed (at once if it already is). */
  ready(): Promise<void> {
    return this.source.allSubscribed();
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** Stops deliveries; the last watch of a reader closes the subscriber connections. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.source.remove(this as unknown as CounterWatch<ValueMode>);
    return this.closing;
  }

  /** True when `name` matches the watch's glob. */
  wants(name: string): boolean {
    return this.matches(name);
  }

  /** @internal Called by the reader's watcher for each parsed message. */
  deliver(updates: ReadonlyArray<readonly [string, bigint]>, node: string): void {
    if (this.closing !== undefined) return;
    const matched: Array<[string, CounterValue<M>]> = [];
    for (const [name, exact] of updates) {
      if (!this.matches(name)) continue;
      try {
        matched.push([name, this.convert(exact, name, node)]);
      } catch (err) {
        if (!(err instanceof UnsafeCounterValueError)) throw err;
        this.emit('skipped', err);
      }
    }
    if (matched.length === 0) return;
    try {
      this.callback(matched, node);
    } catch (err) {
      process.nextTick(() => this.emit('error', err));
    }
  }
}
