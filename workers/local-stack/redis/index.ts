/**
 * Local `redis-server` processes for `countd up` and the test harness: started on free
 * loopback ports with their data in a directory, never left running behind this process.
 *
 * @example
 * ```ts
 * import { findRedisServer, startLocalRedis } from './index.js';
 *
 * const redis = await startLocalRedis({
 *   dir: '.countd/queue',
 *   name: 'queue',
 *   redisServerPath: findRedisServer({ override: env.COUNTD_REDIS_SERVER }),
 * });
 * // … use redis.url …
 * await redis.stop();
 * ```
 */
export {
  startLocalRedis,
  LocalRedisServer,
  type LocalRedisServerEvents,
} from './local-redis-server.js';
export { type LocalRedisOptions } from './local-redis-options.js';
export { findRedisServer, type FindRedisServerOptions } from './find-redis-server.js';
export { findFreePort } from './free-port.js';
export {
  acceptsConnections,
  describeProbe,
  probeRedis,
  type RedisProbeResult,
} from './redis-probe.js';
export { LocalRedisStartError, type LocalRedisStartFailure } from './local-redis-start-error.js';
export { RedisServerNotFoundError } from './redis-server-not-found-error.js';
