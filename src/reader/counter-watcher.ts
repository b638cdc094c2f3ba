import type { ValueMode } from './counter-value.js';
import type { CounterWatch, WatchSource } from './counter-watch.js';
import { MalformedUpdateError } from './errors/index.js';
import type { ReaderNode } from './reader-options.js';
import { parseUpdateMessage } from './update-message.js';
import { UpdateSubscriber } from './update-subscriber.js';

/**
 * How a watcher of a reader that follows the fleet's ring keeps up with it: which nodes to
 * subscribe to (asked again on each poll and when `onNodes` calls back), and the re-read of
 * the counters whose published value may be a partial sum during a change.
 */
export interface WatchFollow {
  /** The nodes of the ring now, read from the queue Redis when its epoch moved. */
  nodes(): Promise<readonly ReaderNode[]>;
  /** Calls `listener` with the nodes whenever the reader learns of another ring; returns the unsubscribe. */
  onNodes(listener: (nodes: readonly ReaderNode[]) => void): () => void;
  /**
   * Exact values, read across the change, of those of `names` that a change splits right now;
   * names it does not split are left out (their published value is their whole value).
   */
  reread(names: readonly string[]): Promise<ReadonlyMap<string, bigint>>;
  /** How often the ring epoch is polled while watches are open. */
  readonly pollMs: number;
}

type Updates = ReadonlyArray<readonly [string, bigint]>;

/**
 * The live-update subscriptions of one reader: one subscriber connection per node, shared by
 * every watch of the reader. Each message is parsed once and offered to every watch, which
 * filters it by its glob. Closes its connections when its last watch closes.
 */
export class CounterWatcher implements WatchSource {
  private readonly subscribers = new Map<string, UpdateSubscriber>();
  private readonly watches = new Set<CounterWatch<ValueMode>>();
  private readonly queued: Array<{ node: string; updates: Updates }> = [];
  private draining: Promise<void> | undefined;
  private readonly synced: Promise<void>;
  private readonly stopFollowing: () => void;
  private closing: Promise<void> | undefined;

  constructor(
    nodes: readonly ReaderNode[],
    private readonly channel: string,
    private readonly connectTimeoutMs: number,
    private readonly onIdle: (watcher: CounterWatcher) => void,
    private readonly follow?: WatchFollow,
  ) {
    this.setNodes(nodes);
    if (follow === undefined) {
      this.synced = Promise.resolve();
      this.stopFollowing = () => undefined;
      return;
    }
    // Errors of the queue Redis are retried at the next poll; meanwhile the nodes stay as they are.
    const sync = () =>
      follow.nodes().then(
        (current) => this.setNodes(current),
        () => undefined,
      );
    this.synced = sync();
    const timer = setInterval(() => void sync(), follow.pollMs);
    timer.unref();
    const unsubscribe = follow.onNodes((current) => this.setNodes(current));
    this.stopFollowing = () => {
      clearInterval(timer);
      unsubscribe();
    };
  }

  /** Ids of the nodes whose updates channel is watched (the ring's, once it was read). */
  nodeIds(): string[] {
    return [...this.subscribers.keys()];
  }

  /** Nodes whose channel is not subscribed right now, with their last connection error. */
  unsubscribedNodes(): Array<{ node: string; error: Error | undefined }> {
    return [...this.subscribers.values()]
      .filter((s) => !s.subscribed)
      .map((s) => ({ node: s.node.id, error: s.error }));
  }

  add(watch: CounterWatch<ValueMode>): void {
    this.watches.add(watch);
  }

  async allSubscribed(): Promise<void> {
    await this.synced;
    const waiting = [...this.subscribers.values()].filter((s) => !s.subscribed);
    await Promise.all(
      waiting.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.once('subscribed', resolve);
            s.once('closed', resolve);
          }),
      ),
    );
  }

  async remove(watch: CounterWatch<ValueMode>): Promise<void> {
    this.watches.delete(watch);
    if (this.watches.size === 0) await this.close();
  }

  /** Closes every subscriber connection; idempotent. */
  close(): Promise<void> {
    if (this.closing === undefined) {
      // At once, so the reader's next watch opens a new watcher rather than this closing one.
      this.onIdle(this);
      this.stopFollowing();
      this.closing = this.shutdown();
    }
    return this.closing;
  }

  /** Subscribes to nodes new in `nodes` and drops the subscriptions of nodes no longer in it. */
  private setNodes(nodes: readonly ReaderNode[]): void {
    if (this.closing !== undefined) return;
    const wanted = new Set(nodes.map((n) => n.id));
    for (const [id, subscriber] of this.subscribers) {
      if (wanted.has(id)) continue;
      this.subscribers.delete(id);
      void subscriber.close();
    }
    for (const node of nodes) {
      if (this.subscribers.has(node.id)) continue;
      const subscriber = new UpdateSubscriber(node, this.channel, this.connectTimeoutMs);
      subscriber.on('message', (text) => this.dispatch(node.id, text));
      subscriber.on('subscribed', () => {
        for (const watch of this.watches) watch.emit('subscribed', node.id);
      });
      subscriber.on('disconnected', (error) => {
        for (const watch of this.watches) watch.emit('disconnected', node.id, error);
      });
      this.subscribers.set(node.id, subscriber);
      subscriber.start();
    }
  }

  private async shutdown(): Promise<void> {
    // Lets `closing` be set first: closing the watches still open calls back into close().
    await Promise.resolve();
    const watches = [...this.watches];
    this.watches.clear();
    for (const watch of watches) void watch.close();
    await Promise.all([...this.subscribers.values()].map((s) => s.close()));
  }

  private dispatch(node: string, text: string): void {
    const { updates, problems } = parseUpdateMessage(text);
    const first = problems[0];
    if (first !== undefined) {
      const more = problems.length > 1 ? ` (and ${problems.length - 1} more lines)` : '';
      const error = new MalformedUpdateError(node, first.line, `${first.reason}${more}`);
      for (const watch of this.watches) watch.emit('skipped', error);
    }
    if (updates.length === 0) return;
    if (this.follow === undefined) {
      for (const watch of this.watches) watch.deliver(updates, node);
      return;
    }
    this.queued.push({ node, updates });
    this.draining ??= this.drain(this.follow).finally(() => {
      this.draining = undefined;
    });
  }

  /**
   * Delivers queued messages in order, with the counters a change splits re-read first: their
   * published value is the partial sum of one location. One re-read at a time, so the values
   * delivered for a counter follow the order they were read in.
   */
  private async drain(follow: WatchFollow): Promise<void> {
    while (this.queued.length > 0) {
      const batch = this.queued.splice(0);
      const names = new Set<string>();
      for (const { updates } of batch) {
        for (const [name] of updates) {
          if ([...this.watches].some((w) => w.wants(name))) names.add(name);
        }
      }
      let fresh: ReadonlyMap<string, bigint>;
      try {
        fresh = names.size === 0 ? new Map() : await follow.reread([...names]);
      } catch (err) {
        for (const watch of this.watches) watch.emit('missed', err);
        continue;
      }
      for (const { node, updates } of batch) {
        const current = updates.map(([name, value]) => [name, fresh.get(name) ?? value] as const);
        for (const watch of this.watches) watch.deliver(current, node);
      }
    }
  }
}
