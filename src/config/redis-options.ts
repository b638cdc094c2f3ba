import type { RedisOptions } from 'ioredis';
import type { RedisConnection } from './redis-url.js';

/** ioredis options for a parsed URL (TLS on for `rediss://`). */
export function toRedisOptions(connection: RedisConnection): RedisOptions {
  return {
    host: connection.host,
    port: connection.port,
    db: connection.db,
    ...(connection.username === undefined ? {} : { username: connection.username }),
    ...(connection.password === undefined ? {} : { password: connection.password }),
    ...(connection.tls ? { tls: { servername: connection.host } } : {}),
  };
}
