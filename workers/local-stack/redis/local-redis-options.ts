import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../../../src/errors/index.js';

/** Options of {@link startLocalRedis}. */
export interface LocalRedisOptions {
  /**
   * Data directory (AOF, log), created if missing. One directory per server: two servers
   * sharing one would overwrite each other's AOF.
   */
  readonly dir: string;
  /**
   * Loopback port to listen on; 0 picks a free one (kept for restarts).
   * @defaultValue 0
   */
  readonly port?: number;
  /**
   * Keep an append-only file, so a restart brings the data back.
   * @defaultValue true
   */
  readonly appendonly?: boolean;
  /**
   * AOF fsync policy: `everysec` may lose up to a second of writes on SIGKILL; tests of
   * exact recovery after `kill()` use `always`.
   * @defaultValue 'everysec'
   */
  readonly appendfsync?: 'always' | 'everysec' | 'no';
  /**
   * Short name, used for the log file (`<dir>/<name>.log`) and in errors.
   * @defaultValue 'redis'
   */
  readonly name?: string;
  /**
   * A configuration file given before the arguments (a Sentinel needs one it can rewrite:
   * `extraArgs: ['--sentinel']`).
   */
  readonly configFile?: string;
  /** More `redis-server` arguments, appended last (so they win), e.g. `['--maxmemory', '64mb']`. */
  readonly extraArgs?: readonly string[];
  /**
   * The binary to run.
   * @defaultValue `findRedisServer()` (PATH lookup)
   */
  readonly redisServerPath?: string;
  /**
   * How long to wait for the server to answer, AOF loading included.
   * @defaultValue 15000
   */
  readonly startTimeoutMs?: number;
  /**
   * How long `stop()` waits after SIGTERM before it sends SIGKILL.
   * @defaultValue 10000
   */
  readonly stopTimeoutMs?: number;
}

/** {@link LocalRedisOptions} with every default applied. */
export interface ResolvedLocalRedisOptions {
  readonly dir: string;
  readonly port: number;
  readonly appendonly: boolean;
  readonly appendfsync: 'always' | 'everysec' | 'no';
  readonly name: string;
  readonly extraArgs: readonly string[];
  readonly configFile: string | undefined;
  readonly redisServerPath: string | undefined;
  readonly startTimeoutMs: number;
  readonly stopTimeoutMs: number;
}

export const DEFAULTS = {
  port: 0,
  appendonly: true,
  appendfsync: 'everysec',
  name: 'redis',
  startTimeoutMs: 15_000,
  stopTimeoutMs: 10_000,
} as const;

/** Applies defaults and validates; throws {@link ConfigError} naming the bad option. */
export function resolveLocalRedisOptions(options: LocalRedisOptions): ResolvedLocalRedisOptions {
  if (typeof options.dir !== 'string' || options.dir === '') {
    throw new ConfigError('dir', 'a data directory is required');
  }
  const port = options.port ?? DEFAULTS.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError('port', `expected an integer in 0..65535, got ${String(port)}`);
  }
  const name = options.name ?? DEFAULTS.name;
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
    throw new ConfigError('name', `"${name}" must match [A-Za-z0-9_.-]+ (it names the log file)`);
  }
  const appendfsync = options.appendfsync ?? DEFAULTS.appendfsync;
  if (!['always', 'everysec', 'no'].includes(appendfsync)) {
    throw new ConfigError('appendfsync', `expected always, everysec or no, got "${appendfsync}"`);
  }
  for (const key of ['startTimeoutMs', 'stopTimeoutMs'] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
      throw new ConfigError(key, `expected a positive number of milliseconds, got ${value}`);
    }
  }
  return Object.freeze({
    dir: isAbsolute(options.dir) ? options.dir : resolve(options.dir),
    port,
    appendonly: options.appendonly ?? DEFAULTS.appendonly,
    appendfsync,
    name,
    extraArgs: Object.freeze([...(options.extraArgs ?? [])]),
    configFile: options.configFile,
    redisServerPath: options.redisServerPath,
    startTimeoutMs: options.startTimeoutMs ?? DEFAULTS.startTimeoutMs,
    stopTimeoutMs: options.stopTimeoutMs ?? DEFAULTS.stopTimeoutMs,
  });
}
