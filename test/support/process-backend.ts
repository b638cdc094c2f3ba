import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalRedis } from '../../workers/local-stack/redis/index.js';
import { isProcessAlive } from './process-alive.js';
import type { RedisBackend, ServerHandle, ServerSpec } from './redis-backend.js';

const DIR_PREFIX = 'countd-redis-';

/**
 * `redis-server` processes on free loopback ports, each with its own directory under one
 * temp dir that `dispose()` deletes. The temp dir is named after the owning pid, so the
 * dirs of a test process killed before its teardown are removed by the next run.
 */
export async function createProcessBackend(redisServerPath: string): Promise<RedisBackend> {
  await removeOrphanDirs();
  const root = await mkdtemp(join(tmpdir(), `${DIR_PREFIX}${process.pid}-`));
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

async function removeOrphanDirs(): Promise<void> {
  const names = await readdir(tmpdir()).catch(() => []);
  await Promise.allSettled(
    names
      .filter((name) => {
        const pid = /^countd-redis-(\d+)-/.exec(name)?.[1];
        return pid !== undefined && !isProcessAlive(Number(pid));
      })
      .map((name) => rm(join(tmpdir(), name), { recursive: true, force: true })),
  );
}
