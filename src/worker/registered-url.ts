import type { RedisOptions } from 'ioredis';
import { parseRedisUrl, toRedisOptions } from '../config/index.js';

/**
 * The URL a node is registered under in the fleet's ring record: where it is, never who
 * connects. Built from the parts of the connection (host, port, db, TLS; sentinels and master
 * name) rather than by editing a URL, so no username or password can survive into the queue
 * Redis, where every process of the fleet reads it.
 */
export function registeredUrl(connection: RedisOptions): string {
  const db = connection.db !== undefined && connection.db !== 0 ? `/${connection.db}` : '';
  const sentinels = connection.sentinels;
  if (sentinels !== undefined && sentinels !== null && sentinels.length > 0) {
    const hosts = sentinels.map((s) => `${hostPart(s.host ?? '127.0.0.1')}:${s.port ?? 26379}`);
    return `redis+sentinel://${hosts.join('+')}/${connection.name ?? 'mymaster'}${db}`;
  }
  const scheme = connection.tls !== undefined ? 'rediss' : 'redis';
  return `${scheme}://${hostPart(connection.host ?? '127.0.0.1')}:${connection.port ?? 6379}${db}`;
}

/**
 * How this worker reaches a node it knows only from the ring record: the record's URL with the
 * credentials of `credentials` (the worker's first configured node): one fleet, one set of
 * credentials (docs/ring.md, "Versions and where they are kept").
 */
export function connectionFromRecord(
  nodeId: string,
  url: string,
  credentials: RedisOptions,
): RedisOptions {
  const options = toRedisOptions(parseRedisUrl(url, `the ring record's URL of node ${nodeId}`));
  const { username, password, sentinelUsername, sentinelPassword } = credentials;
  return {
    ...options,
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    ...(options.sentinels !== undefined && sentinelUsername !== undefined
      ? { sentinelUsername }
      : {}),
    ...(options.sentinels !== undefined && sentinelPassword !== undefined
      ? { sentinelPassword }
      : {}),
  };
}

function hostPart(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
