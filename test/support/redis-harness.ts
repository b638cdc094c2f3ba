/**
 * Real Redis servers for test suites: testcontainers when a container runtime answers,
 * otherwise `redis-server` processes on free loopback ports. See docs/testing.md.
 *
 * @example
 * ```ts
 * import { describe, expect, it } from 'vitest';
 * import { uniquePrefix, useRedisServers } from '../support/redis-harness.js';
 *
 * describe('flusher', () => {
 *   const redis = useRedisServers({ count: 3, appendonly: true });
 *   const prefix = uniquePrefix('flusher');
 *
 *   it('writes', async () => {
 *     const client = redis.server(0).client();
 *     await client.hincrby(`${prefix}:t:0`, 'views', 1);
 *     expect(await client.hget(`${prefix}:t:0`, 'views')).toBe('1');
 *   });
 * });
 * ```
 */
import { afterAll, beforeAll } from 'vitest';
import {
  pick,
  startRedisServers,
  type RedisServerGroup,
  type RedisServers,
  type RedisServersOptions,
} from './redis-servers.js';

export {
  startRedisServers,
  type RedisServerGroup,
  type RedisServers,
  type RedisServersOptions,
  type TestRedisServer,
} from './redis-servers.js';
export { DEFAULT_TEST_REDIS_IMAGE, type RedisBackendKind } from './redis-backend.js';
export { uniquePrefix } from './unique-prefix.js';

/**
 * Starts servers in `beforeAll` and tears them down in `afterAll` (which vitest runs even
 * when tests or `beforeAll` fail). Call it at the top of a file or `describe`; read the
 * returned object inside tests and hooks, not at collection time.
 */
export function useRedisServers(options: RedisServersOptions = {}): RedisServers {
  let starting: Promise<RedisServerGroup> | undefined;
  let group: RedisServerGroup | undefined;

  beforeAll(async () => {
    starting = startRedisServers(options);
    group = await starting;
  });
  afterAll(async () => {
    // Waits for a start that outlived the hook timeout, so what it started is still stopped.
    const started = await starting?.catch(() => undefined);
    group = undefined;
    await started?.stop();
  });

  const current = (): RedisServerGroup => {
    if (group === undefined) {
      throw new Error('useRedisServers: the servers exist only between beforeAll and afterAll');
    }
    return group;
  };
  return {
    get backend() {
      return current().backend;
    },
    get servers() {
      return current().servers;
    },
    server: (index = 0) => pick(current().servers, index),
  };
}
