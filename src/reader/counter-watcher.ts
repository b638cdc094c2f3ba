import type { ValueMode } from './counter-value.js';
import type { CounterWatch, WatchSource } from './counter-watch.js';
import { MalformedUpdateError } from './errors/index.js';
import type { ReaderNode } from './reader-options.js';
import { parseUpdateMessage } from './update-message.js';
import { UpdateSubscriber } from './update-subscriber.js';

/**
 * The live-update subscriptions of one reader: one subscriber connection per node, shared by
 * every watch of the reader. Each message is parsed once and offered to every watch, which
 * filters it by its glob. Closes its connections when its last watch closes.
 */
export class CounterWatcher implements WatchSource {
  private readonly subscribers: UpdateSubscriber[];
  private readonly watches = new Set<CounterWatch<ValueMode>>();
  private closing: Promise<void> | undefined;

  constructor(
    nodes: readonly ReaderNode[],
    channel: string,
    connectTimeoutMs: number,
    private readonly onIdle: (watcher: CounterWatcher) => void,
  ) {
    this.subscribers = nodes.map((node) => {
      const subscriber = new UpdateSubscriber(node, channel, connectTimeoutMs);
      subscriber.on('message', (text) => this.dispatch(node.id, text));
      subscriber.on('subscribed', () => {
        for (const watch of this.watches) watch.emit('subscribed', node.id);
      });
      subscriber.on('disconnected', (error) => {
        for (const watch of this.watches) watch.emit('disconnected', node.id, error);
      });
      return subscriber;
    });
    for (const subscriber of this.subscribers) subscriber.start();
  }

  /** Nodes whose channel is not subscribed right now, with their last connection error. */
  unsubscribedNodes(): Array<{ node: string; error: Error | undefined }> {
    return this.subscribers
      .filter((s) => !s.subscribed)
      .map((s) => ({ node: s.node.id, error: s.error }));
  }

  add(watch: CounterWatch<ValueMode>): void {
    this.watches.add(watch);
  }

  allSubscribed(): Promise<void> {
    const waiting = this.subscribers.filter((s) => !s.subscribed);
    return Promise.all(
      waiting.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.once('subscribed', resolve);
          }),
      ),
    ).then(() => undefined);
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
      this.closing = this.shutdown();
    }
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    // Lets `closing` be set first: closing the watches still open calls back into close().
    await Promise.resolve();
    const watches = [...this.watches];
    this.watches.clear();
    for (const watch of watches) void watch.close();
    await Promise.all(this.subscribers.map((s) => s.close()));
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
    for (const watch of this.watches) watch.deliver(updates, node);
  }
}
