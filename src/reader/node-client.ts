import { Redis, type RedisOptions } from 'ioredis';
import { CountdError, StorageError } from '../errors/index.js';
import { closeConnection } from '../redis/index.js';

/** Timeouts a node connection is made with. */
export interface NodeClientSettings {
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  /** `countd-reader` or `countd-watch`: shown by CLIENT LIST on the node. */
  readonly role: string;
}

/**
 * One lazily opened ioredis connection to a storage node. Errors of commands run through
 * {@link run} become {@link StorageError}s naming the node and where it was looked for, with
 * the last connection error (ECONNREFUSED, ...) rather than ioredis's generic retry message.
 */
export class NodeClient {
  private redis: Redis | undefined;
  private lastError: Error | undefined;
  private closed = false;

  constructor(
    readonly id: string,
    private readonly connection: RedisOptions,
    private readonly settings: NodeClientSettings,
  ) {}

  /** Where the node is, for messages: `host:port` or the socket path; never credentials. */
  get address(): string {
    const { path, host, port } = this.connection;
    if (typeof path === 'string') return path;
    return `${host ?? 'localhost'}:${port ?? 6379}`;
  }

  /** The connection, created on first use; it connects with the first command. */
  client(options: RedisOptions = {}): Redis {
    if (this.closed) throw new Error(`connection to node ${this.id} is closed`);
    if (this.redis === undefined) {
      const redis = new Redis({
        // One reconnect attempt per command: a refused connection fails fast, a blip does not.
        maxRetriesPerRequest: 1,
        ...this.connection,
        ...options,
        lazyConnect: true,
        connectTimeout: this.settings.connectTimeoutMs,
        commandTimeout: this.settings.commandTimeoutMs,
        connectionName: `${this.settings.role}-${this.id}`,
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

  /** Runs `fn` on the connection; any failure becomes a {@link StorageError} of this node. */
  async run<T>(what: string, fn: (redis: Redis) => Promise<T>): Promise<T> {
    const redis = this.client();
    try {
      return await fn(redis);
    } catch (err) {
      throw this.wrap(err, what, redis);
    }
  }

  /** A {@link StorageError} for `err`; countd's own errors (bad values, ...) pass through. */
  wrap(err: unknown, what: string, redis: Redis | undefined = this.redis): Error {
    if (err instanceof CountdError) return err;
    const cause = err instanceof Error ? err : new Error(String(err));
    const connected = redis?.status === 'ready';
    const detail = connected
      ? `${what} failed at ${this.address}: ${cause.message}`
      : `not reachable at ${this.address} (${(this.lastError ?? cause).message})`;
    return new StorageError(this.id, detail, cause);
  }

  /** Closes the connection: QUIT when it is up, else drops it. Idempotent; never throws. */
  async close(): Promise<void> {
    this.closed = true;
    const redis = this.redis;
    this.redis = undefined;
    if (redis !== undefined) await closeConnection(redis);
  }
}
