import type { RedisOptions } from 'ioredis';
import { FollowingSentinelConnector } from '../redis/sentinel-connector.js';
import type { RedisConnection } from './redis-url.js';

/**
 * ioredis options for a parsed URL (TLS on for `rediss://`). For `redis+sentinel://` the
 * client asks the sentinels for the primary of the master group and follows it on failover:
 * it reconnects through them when the connection drops, when the sentinels announce a new
 * primary (`failoverDetector`), and when a server answers READONLY (a demoted primary still
 * reachable at its old address), so that it is never written to. The connector is ioredis's,
 * with the failover detector closed along with its connection ({@link FollowingSentinelConnector}):
 * ioredis's own could end the client for good on a failover, and kept processes from exiting.
 */
export function toRedisOptions(connection: RedisConnection): RedisOptions {
  const credentials = {
    ...(connection.username === undefined ? {} : { username: connection.username }),
    ...(connection.password === undefined ? {} : { password: connection.password }),
  };
  const sentinel = connection.sentinel;
  if (sentinel !== undefined) {
    return {
      sentinels: sentinel.sentinels.map((s) => ({ host: s.host, port: s.port })),
      name: sentinel.masterName,
      db: connection.db,
      ...credentials,
      ...(sentinel.username === undefined ? {} : { sentinelUsername: sentinel.username }),
      ...(sentinel.password === undefined ? {} : { sentinelPassword: sentinel.password }),
      failoverDetector: true,
      // Copied by duplicate() and by BullMQ with the rest: every client of the URL gets it.
      Connector: FollowingSentinelConnector,
      // Sentinels that do not answer: retried (the start-up check has refused a deployment
      // where none answered), at most every second so a promotion is seen soon.
      sentinelRetryStrategy: (times: number) => Math.min(times * 50, 1000),
      sentinelCommandTimeout: 2000,
      // 1: reconnect (through the sentinels) without resending; the caller retries.
      reconnectOnError: (err: Error) => (/^READONLY/.test(err.message) ? 1 : false),
    };
  }
  return {
    host: connection.host,
    port: connection.port,
    db: connection.db,
    ...credentials,
    ...(connection.tls ? { tls: { servername: connection.host } } : {}),
  };
}
