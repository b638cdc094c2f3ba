import { Redis, type RedisOptions } from 'ioredis';
import { createContainerBackend } from './container-backend.js';
import { createProcessBackend } from './process-backend.js';
import {
  chooseRedisBackend,
  type RedisBackend,
  type RedisBackendKind,
  type ServerHandle,
} from './redis-backend.js';

/** Options of {@link startRedisServers} and `useRedisServers`. */
export interface RedisServersOptions {
  /**
   * How many independent servers.
   * @defaultValue 1
   */
  readonly count?: number;
  /**
   * AOF persistence, so `stop()`/`kill()` + `restart()` keep the data.
   * @defaultValue false
   */
  readonly appendonly?: boolean;
  /**
   * AOF fsync policy; `always` makes data written before a `kill()` survive it exactly.
   * @defaultValue 'everysec'
   */
  readonly appendfsync?: 'always' | 'everysec' | 'no';
  /** More `redis-server` arguments for every server. */
  readonly extraArgs?: readonly string[];
  /**
   * The environment the backend is chosen from (COUNTD_TEST_REDIS, COUNTD_TEST_REDIS_IMAGE,
   * COUNTD_TEST_REDIS_NETWORK, COUNTD_REDIS_SERVER, PATH, DOCKER_HOST).
   * @defaultValue `process.env`
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** One real Redis server started for a test: its backend's handle, less the teardown. */
export interface TestRedisServer extends Omit<ServerHandle, 'destroy'> {
  /** `redis-0`, `redis-1`, … in start order. */
  readonly name: string;
  /** `redis://host:port`; unchanged by `restart()`. */
  readonly url: string;
  /** A new ioredis connection to this server; the harness disconnects it at teardown. */
  client(options?: RedisOptions): Redis;
}

/** Servers started together and torn down together. */
export interface RedisServers {
  readonly backend: RedisBackendKind;
  readonly servers: readonly TestRedisServer[];
  /** `servers[index]`, throwing instead of returning undefined. */
  server(index?: number): TestRedisServer;
}

/** {@link RedisServers} plus the teardown its owner must call. */
export interface RedisServerGroup extends RedisServers {
  /**
   * Disconnects every client, stops and removes every server and its data. Runs every step
   * even when one fails (then rejects with all the errors); idempotent.
   */
  stop(): Promise<void>;
}

/**
 * Starts `count` real Redis servers for code that does not run under vitest hooks (the
 * benchmark, scripts). If one fails to start, those already started are torn down.
 *
 * @example
 * ```ts
 * const redis = await startRedisServers({ count: 3, appendonly: true });
 * try {
 *   const client = redis.server(0).client();
 *   await client.set('k', 'v');
 * } finally {
 *   await redis.stop();
 * }
 * ```
 */
export async function startRedisServers(
  options: RedisServersOptions = {},
): Promise<RedisServerGroup> {
  const count = options.count ?? 1;
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`count: expected a positive integer, got ${count}`);
  }
  const choice = await chooseRedisBackend(options.env ?? process.env);
  if (choice.kind === 'process' && choice.note !== undefined) warnOnce(choice.note);
  const backend =
    choice.kind === 'process'
      ? await createProcessBackend(choice.redisServerPath)
      : await createContainerBackend(choice.image, choice.network);

  const handles: ServerHandle[] = [];
  const clients = new Set<Redis>();
  let stopping: Promise<void> | undefined;
  const teardown = (): Promise<void> => (stopping ??= tearDown(backend, handles, clients));
  try {
    // One at a time: on two cores, parallel starts only make each slower to answer.
    for (let i = 0; i < count; i++) {
      handles.push(
        await backend.start({
          name: `redis-${i}`,
          appendonly: options.appendonly ?? false,
          appendfsync: options.appendfsync ?? 'everysec',
          extraArgs: options.extraArgs ?? [],
        }),
      );
    }
  } catch (err) {
    await teardown().catch(() => undefined);
    throw err;
  }
  const servers = handles.map((handle, i) => testServer(`redis-${i}`, handle, clients));
  return {
    backend: backend.kind,
    servers,
    server: (index = 0) => pick(servers, index),
    stop: teardown,
  };
}

function testServer(name: string, handle: ServerHandle, clients: Set<Redis>): TestRedisServer {
  return {
    name,
    host: handle.host,
    port: handle.port,
    url: `redis://${handle.host}:${handle.port}`,
    get pid() {
      return handle.pid;
    },
    stop: () => handle.stop(),
    kill: () => handle.kill(),
    restart: () => handle.restart(),
    client(options?: RedisOptions): Redis {
      const client = new Redis({ ...options, host: handle.host, port: handle.port });
      // Tests stop and kill servers on purpose: the reconnect errors that follow are expected,
      // and commands still reject on their own. Without a listener ioredis prints each one.
      client.on('error', () => {});
      clients.add(client);
      return client;
    },
  };
}

async function tearDown(
  backend: RedisBackend,
  handles: readonly ServerHandle[],
  clients: Set<Redis>,
): Promise<void> {
  // disconnect(), not quit(): the server may be down, and quit would wait for it.
  for (const client of clients) client.disconnect();
  clients.clear();
  const results = await Promise.allSettled(handles.map((h) => h.destroy()));
  results.push(...(await Promise.allSettled([backend.dispose()])));
  const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (errors.length > 0) throw new AggregateError(errors, 'stopping the test Redis servers failed');
}

export function pick(servers: readonly TestRedisServer[], index: number): TestRedisServer {
  const server = servers[index];
  if (server === undefined) {
    throw new RangeError(`server(${index}): only ${servers.length} server(s) were started`);
  }
  return server;
}

const warned = new Set<string>();
function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.stderr.write(`countd test harness: ${message}\n`);
}
