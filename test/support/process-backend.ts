import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalRedis } from '../../workers/local-redis.js';
import type { RedisBackend, ServerHandle, ServerSpec } from './redis-backend.js';

/**
 * `redis-server` processes on free loopback ports, each with its own directory under one
 * temp dir that `dispose()` deletes.
 */
export async function createProcessBackend(redisServerPath: string): Promise<RedisBackend> {
  const root = await mkdtemp(join(tmpdir(), 'countd-redis-'));
  return {
    kind: 'process',
    async start(spec: ServerSpec): Promise<ServerHandle> {
      const server = await startLocalRedis({
        dir: join(root, spec.name),
        name: spec.name,
        appendonly: spec.appendonly,
        appendfsync: spec.appendfsync,
        extraArgs: spec.extraArgs,
        redisServerPath,
        // Tests stop servers often; a slow SIGTERM is a bug worth seeing, not waiting for.
        stopTimeoutMs: 5000,
      });
      return {
        host: server.host,
        get port() {
          return server.port;
        },
        get pid() {
          return server.pid;
        },
        stop: () => server.stop(),
        kill: () => server.kill(),
        restart: () => server.restart(),
        destroy: () => server.stop(),
      };
    },
    dispose: () => rm(root, { recursive: true, force: true }),
  };
}
