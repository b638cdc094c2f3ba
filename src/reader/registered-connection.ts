import type { RedisOptions } from 'ioredis';
import { parseRedisUrl, toRedisOptions } from '../config/index.js';
import { ConfigError } from '../errors/index.js';
import type { RingState } from '../ring-change/index.js';

/**
 * How to reach a node that the registered ring names and the reader's own nodes do not: the
 * registered URL (stored without credentials) with the username and password of the reader's
 * first node, one fleet having one set of credentials (docs/ring.md, "Credentials").
 * Throws a ConfigError when the record has no URL for it (a ring registered by 0.1.0).
 */
export function registeredConnection(
  id: string,
  state: RingState,
  ringKey: string,
  credentialsFrom: RedisOptions,
): RedisOptions {
  const records = [state.ring, state.change?.to, state.change?.from];
  const url = records.flatMap((r) => r?.nodes ?? []).find((n) => n.id === id && n.url)?.url;
  if (url === undefined) {
    throw new ConfigError(
      'nodes',
      `the fleet's ring (${ringKey}) has node "${id}" without a URL: add it to the reader's nodes`,
    );
  }
  const { username, password, sentinelUsername, sentinelPassword } = credentialsFrom;
  return {
    ...toRedisOptions(parseRedisUrl(url, `${ringKey} node ${id}`)),
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    ...(sentinelUsername === undefined ? {} : { sentinelUsername }),
    ...(sentinelPassword === undefined ? {} : { sentinelPassword }),
  };
}
