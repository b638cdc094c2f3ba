import { findRedisServer } from '../../workers/local-stack/redis/index.js';
import { findContainerRuntime } from './container-runtime.js';

/** Where the harness runs its Redis servers. */
export type RedisBackendKind = 'process' | 'container';

/** The image built by `test/support/redis-image/build.sh`. */
export const DEFAULT_TEST_REDIS_IMAGE = 'countd-test-redis:local';

/** Settings of one server, as the backends need them. */
export interface ServerSpec {
  readonly name: string;
  readonly appendonly: boolean;
  readonly appendfsync: 'always' | 'everysec' | 'no';
  readonly extraArgs: readonly string[];
}

/** One running server as a backend controls it. */
export interface ServerHandle {
  readonly host: string;
  readonly port: number;
  /** Host pid of the redis-server process (the last one after stop/kill); undefined if unknown. */
  readonly pid: number | undefined;
  /** Graceful stop (SIGTERM: the AOF is fsynced). Resolves once it is down. */
  stop(): Promise<void>;
  /** SIGKILL (process) or container kill: a crash, no fsync. Resolves once it is down. */
  kill(): Promise<void>;
  /** Starts it again (stopping it first if it runs), same port, with its data when AOF is on. */
  restart(): Promise<void>;
  /** Final teardown: the process or container and its data are gone afterwards. */
  destroy(): Promise<void>;
}

/** Starts servers of one kind; `dispose` removes what the backend itself created. */
export interface RedisBackend {
  readonly kind: RedisBackendKind;
  start(spec: ServerSpec): Promise<ServerHandle>;
  dispose(): Promise<void>;
}

/** What {@link chooseRedisBackend} settled on. */
export type BackendChoice =
  | { readonly kind: 'process'; readonly redisServerPath: string; readonly note?: string }
  | {
      readonly kind: 'container';
      readonly image: string;
      /** From COUNTD_TEST_REDIS_NETWORK; undefined: bridge if the engine has one, else host. */
      readonly network: 'bridge' | 'host' | undefined;
    };

type Env = Readonly<Record<string, string | undefined>>;

const INSTALL_HINT =
  'Install redis-server (Debian/Ubuntu: apt-get install redis-server; or set ' +
  'COUNTD_REDIS_SERVER to a binary), or run a container runtime with the image built by ' +
  'test/support/redis-image/build.sh and set COUNTD_TEST_REDIS=container. See docs/testing.md.';

/**
 * Picks the backend from the environment:
 * - `COUNTD_TEST_REDIS=process|container` forces one;
 * - otherwise containers when a runtime answers and the image is there (built locally, or
 *   named explicitly in `COUNTD_TEST_REDIS_IMAGE`, which may then be pulled), else
 *   `redis-server` processes.
 */
export async function chooseRedisBackend(env: Env): Promise<BackendChoice> {
  const forced = env.COUNTD_TEST_REDIS ?? '';
  const image = env.COUNTD_TEST_REDIS_IMAGE || DEFAULT_TEST_REDIS_IMAGE;
  if (!['', 'auto', 'process', 'container'].includes(forced)) {
    throw new Error(`COUNTD_TEST_REDIS must be process, container or unset; got "${forced}"`);
  }
  const network = env.COUNTD_TEST_REDIS_NETWORK || undefined;
  if (network !== undefined && network !== 'bridge' && network !== 'host') {
    throw new Error(`COUNTD_TEST_REDIS_NETWORK must be bridge, host or unset; got "${network}"`);
  }
  if (forced === 'container') return { kind: 'container', image, network };

  const redisServerPath = findRedisServer({ override: env.COUNTD_REDIS_SERVER, path: env.PATH });
  if (forced === 'process') {
    if (redisServerPath === undefined) {
      throw new Error(`COUNTD_TEST_REDIS=process but no redis-server was found. ${INSTALL_HINT}`);
    }
    return { kind: 'process', redisServerPath };
  }

  const runtime = await findContainerRuntime(env);
  let imageMissing: string | undefined;
  if (runtime !== undefined) {
    if (image !== DEFAULT_TEST_REDIS_IMAGE || (await runtime.hasImage(image))) {
      return { kind: 'container', image, network };
    }
    imageMissing =
      `the container runtime at ${runtime.endpoint} answers but image ${image} is not built ` +
      '(test/support/redis-image/build.sh)';
  }
  if (redisServerPath === undefined) {
    const why = imageMissing ?? 'no container runtime answers';
    throw new Error(`No Redis for the tests: no redis-server on PATH and ${why}. ${INSTALL_HINT}`);
  }
  return imageMissing === undefined
    ? { kind: 'process', redisServerPath }
    : { kind: 'process', redisServerPath, note: `${imageMissing}: using redis-server processes` };
}
