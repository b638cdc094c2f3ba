import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';
import { closeConnection } from '../redis/index.js';
import type { ReaderNode } from './reader-options.js';

export interface UpdateSubscriberEvents {
  message: [text: string];
  /** SUBSCRIBE confirmed, on the first connection or after a reconnect. */
  subscribed: [];
  /** The subscribed connection was lost; ioredis reconnects with backoff. */
  disconnected: [error: Error | undefined];
  /** close() was called: no `subscribed` follows. */
  closed: [];
}

/**
 * The subscriber connection to one node's updates channel. ioredis reconnects on its own; the
 * channel is subscribed again on every `ready` here (rather than by ioredis's autoResubscribe)
 * so that a confirmed re-subscription can be reported: updates published while the connection
 * was down are lost (pub/sub keeps nothing), and a watcher may want to re-read then.
 */
export class UpdateSubscriber extends EventEmitter<UpdateSubscriberEvents> {
  private readonly redis: Redis;
  private subscribedNow = false;
  private lastError: Error | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    readonly node: ReaderNode,
    private readonly channel: string,
    connectTimeoutMs: number,
  ) {
    super();
    this.redis = new Redis({
      ...node.connection,
      lazyConnect: true,
      autoResubscribe: false,
      connectTimeout: connectTimeoutMs,
      // Commands wait for the reconnection instead of failing: SUBSCRIBE is only sent on ready.
      maxRetriesPerRequest: null,
      connectionName: `countd-watch-${node.id}`,
    });
    this.redis.on('error', (err: Error) => {
      this.lastError = err;
    });
    this.redis.on('ready', () => this.subscribe());
    this.redis.on('close', () => {
      if (!this.subscribedNow) return;
      this.subscribedNow = false;
      if (this.closing === undefined) this.emit('disconnected', this.lastError);
    });
    this.redis.on('message', (channel: string, text: string) => {
      if (channel === this.channel) this.emit('message', text);
    });
  }

  /** True while SUBSCRIBE is confirmed on a live connection. */
  get subscribed(): boolean {
    return this.subscribedNow;
  }

  /** The last connection error, if the node is not reachable now. */
  get error(): Error | undefined {
    return this.lastError;
  }

  /** Starts connecting; failures are retried by ioredis and show in {@link error}. */
  start(): void {
    this.redis.connect().catch(() => undefined);
  }

  private subscribe(): void {
    this.redis.subscribe(this.channel).then(
      () => {
        if (this.closing !== undefined) return;
        this.lastError = undefined;
        this.subscribedNow = true;
        this.emit('subscribed');
      },
      (err: Error) => {
        // The connection dropped between ready and the reply: the next ready subscribes again.
        this.lastError = err;
      },
    );
  }

  /** Unsubscribes and closes. Idempotent; never throws. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.subscribedNow = false;
      this.emit('closed');
      await closeConnection(this.redis);
    })();
    return this.closing;
  }
}
