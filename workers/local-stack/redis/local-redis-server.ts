import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { findFreePort } from './free-port.js';
import { findRedisServer } from './find-redis-server.js';
import { LocalRedisStartError } from './local-redis-start-error.js';
import {
  resolveLocalRedisOptions,
  type LocalRedisOptions,
  type ResolvedLocalRedisOptions,
} from './local-redis-options.js';
import { RedisServerNotFoundError } from './redis-server-not-found-error.js';
import { HOST, spawnRedis } from './spawn-redis.js';

/** Events of a {@link LocalRedisServer}. */
export interface LocalRedisServerEvents {
  /** The process ended, whoever ended it: `stop()`, `kill()`, a crash, or someone else. */
  exit: [code: number | null, signal: NodeJS.Signals | null];
}

// A free port can be taken between our probe and redis-server's bind: retry with another.
const FREE_PORT_ATTEMPTS = 5;

/**
 * A `redis-server` process started by this Node process, listening on 127.0.0.1 only.
 * Create one with {@link startLocalRedis}.
 *
 * It is never left behind: `stop()` ends it, and if this process exits first an `exit`
 * hook SIGKILLs it (and on Linux the kernel SIGTERMs it if Node is killed outright).
 */
export class LocalRedisServer extends EventEmitter<LocalRedisServerEvents> {
  /** Always the IPv4 loopback address: the server binds nothing else. */
  readonly host = HOST;
  /** Absolute data directory (AOF, log). */
  readonly dir: string;
  readonly name: string;
  /** `<dir>/<name>.log`: the server's stdout/stderr, appended across restarts. */
  readonly logFile: string;
  /** Absolute path of the `redis-server` binary that runs. */
  readonly binary: string;

  readonly #options: ResolvedLocalRedisOptions;
  #port: number;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #stopping: Promise<void> | undefined;

  private constructor(options: ResolvedLocalRedisOptions, binary: string) {
    super();
    this.#options = options;
    this.dir = options.dir;
    this.name = options.name;
    this.logFile = join(options.dir, `${options.name}.log`);
    this.binary = binary;
    this.#port = options.port;
  }

  /** Starts a server; prefer the {@link startLocalRedis} function. */
  static async start(options: LocalRedisOptions): Promise<LocalRedisServer> {
    const resolved = resolveLocalRedisOptions(options);
    const binary =
      resolved.redisServerPath === undefined
        ? findRedisServer()
        : findRedisServer({ override: resolved.redisServerPath });
    if (binary === undefined) throw new RedisServerNotFoundError(resolved.redisServerPath);
    const server = new LocalRedisServer(resolved, binary);
    await server.#launch();
    return server;
  }

  /** The listening port (chosen at the first start when 0 was asked, then kept). */
  get port(): number {
    return this.#port;
  }

  /** `redis://127.0.0.1:<port>` */
  get url(): string {
    return `redis://${this.host}:${this.#port}`;
  }

  /** Pid of the running process, or of the last one once it has exited. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Whether the process is alive (false after stop, kill or a crash). */
  get running(): boolean {
    const child = this.#child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /**
   * Graceful stop: SIGTERM (Redis fsyncs its AOF and exits), then SIGKILL if it is still
   * alive after `stopTimeoutMs`. Resolves once the process is gone. Idempotent: concurrent
   * calls share one stop, and a stopped server resolves at once.
   */
  stop(): Promise<void> {
    if (!this.running) return this.#exited;
    this.#stopping ??= this.#terminate().finally(() => (this.#stopping = undefined));
    return this.#stopping;
  }

  /** SIGKILL, as in a crash: no AOF fsync. Resolves once the process is gone. */
  async kill(): Promise<void> {
    if (this.running) this.#holdLoop()?.kill('SIGKILL');
    await this.#exited;
  }

  /**
   * Stops the server if it runs, then starts it again on the same port and directory, so
   * with `appendonly` its data comes back (up to the last fsync after a `kill()`).
   */
  async restart(): Promise<void> {
    await this.stop();
    await this.#launch();
  }

  async #terminate(): Promise<void> {
    const child = this.#holdLoop();
    if (child === undefined) return;
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<true>((resolve) => {
      timer = setTimeout(() => resolve(true), this.#options.stopTimeoutMs);
    });
    try {
      if ((await Promise.race([this.#exited.then(() => false), timedOut])) === true) {
        child.kill('SIGKILL');
        await this.#exited;
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** The child, ref'd again so that Node stays up until its `exit` event has been seen. */
  #holdLoop(): ChildProcess | undefined {
    this.#child?.ref();
    return this.#child;
  }

  async #launch(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const pickPort = this.#port === 0;
    const attempts = pickPort ? FREE_PORT_ATTEMPTS : 1;
    for (let attempt = 1; ; attempt++) {
      const port = pickPort ? await findFreePort(HOST) : this.#port;
      try {
        const child = await spawnRedis({
          options: this.#options,
          binary: this.binary,
          port,
          logFile: this.logFile,
        });
        this.#adopt(child);
        this.#port = port;
        return;
      } catch (err) {
        const raced = err instanceof LocalRedisStartError && err.reason === 'port-in-use';
        if (!raced || attempt >= attempts) throw err;
      }
    }
  }

  #adopt(child: ChildProcess): void {
    // A running server must not keep Node alive on its own: stop() or the exit hook ends it.
    child.unref();
    this.#child = child;
    this.#exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        resolve();
        return;
      }
      child.once('exit', (code, signal) => {
        resolve();
        this.emit('exit', code, signal);
      });
    });
  }
}

/**
 * Starts a `redis-server` on 127.0.0.1 with its data in `options.dir` and resolves once it
 * answers. The process runs attached (`--daemonize no`) with `--save ''` (no RDB
 * snapshots), AOF per `appendonly`, and its output in `<dir>/<name>.log`.
 *
 * @throws {@link RedisServerNotFoundError} when no binary is found.
 * @throws {@link LocalRedisStartError} when it exits, times out, or the port is taken;
 *   the message ends with the server's last log lines.
 * @throws {@link ConfigError} for an invalid option.
 *
 * @example
 * ```ts
 * const redis = await startLocalRedis({ dir: '.countd/node-a', name: 'node-a' });
 * console.log(redis.url); // redis://127.0.0.1:40123
 * await redis.stop();
 * ```
 */
export function startLocalRedis(options: LocalRedisOptions): Promise<LocalRedisServer> {
  return LocalRedisServer.start(options);
}
