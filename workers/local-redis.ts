/**
 * Local `redis-server` processes for `countd up` and the test harness: started on free
 * loopback ports with their data in a directory, never left running behind this process.
 *
 * @example
 * ```ts
 * import { findRedisServer, startLocalRedis } from './local-redis.js';
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
} from './local-redis/local-redis-server.js';
export { type LocalRedisOptions } from './local-redis/local-redis-options.js';
export { findRedisServer, type FindRedisServerOptions } from './local-redis/find-redis-server.js';
export { findFreePort } from './local-redis/free-port.js';
export {
  acceptsConnections,
  describeProbe,
  probeRedis,
  type RedisProbeResult,
} from './local-redis/redis-probe.js';
export {
  LocalRedisStartError,
  type LocalRedisStartFailure,
} from './local-redis/local-redis-start-error.js';
export { RedisServerNotFoundError } from './local-redis/redis-server-not-found-error.js';
