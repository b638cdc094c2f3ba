import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { acceptsConnections } from '../../workers/local-stack/redis/index.js';
import { waitForProcessesGone } from './process-alive.js';
import { startRedisServers, uniquePrefix, useRedisServers } from './redis-harness.js';
import { runFixture } from './run-fixture.js';

/** Options for a client that fails fast instead of reconnecting to a dead server. */
const noRetry = { maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false };

function pidOf(server: { readonly pid: number | undefined }): number {
  if (server.pid === undefined) throw new Error('the backend reports no pid');
  return server.pid;
}

describe('useRedisServers', () => {
  const redis = useRedisServers({ count: 3 });
  const prefix = uniquePrefix('harness');

  it('starts servers that answer, each on its own loopback port', async () => {
    expect(redis.servers).toHaveLength(3);
    for (const server of redis.servers) {
      expect(server.url).toBe(`redis://${server.host}:${server.port}`);
      expect(await server.client().ping()).toBe('PONG');
    }
    expect(new Set(redis.servers.map((s) => s.port)).size).toBe(3);
  });

  it('isolates the servers from one another', async () => {
    const key = `${prefix}:only-on-0`;
    await redis.server(0).client().set(key, 'x');
    expect(await redis.server(0).client().exists(key)).toBe(1);
    expect(await redis.server(1).client().exists(key)).toBe(0);
    expect(await redis.server(2).client().exists(key)).toBe(0);
  });

  it('is not the Redis already running on 6379, which it only reads', async () => {
    expect(redis.servers.map((s) => s.port)).not.toContain(6379);
    const key = `${prefix}:marker`;
    await redis.server(0).client().set(key, '1');
    if (!(await acceptsConnections('127.0.0.1', 6379))) return;
    // Read-only look at a server the harness did not start: one EXISTS of a unique key.
    const other = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, ...noRetry });
    try {
      await other.connect();
      expect(await other.exists(key)).toBe(0);
    } finally {
      other.disconnect();
    }
  });

  it('throws a clear error for a server that was not started', () => {
    expect(() => redis.server(3)).toThrow(/only 3 server/);
  });
});

describe('useRedisServers read at collection time', () => {
  const redis = useRedisServers();
  let early: unknown;
  try {
    void redis.servers;
  } catch (err) {
    early = err;
  }

  it('threw a clear error then, and works inside tests', async () => {
    expect(String(early)).toMatch(/only between beforeAll and afterAll/);
    expect(await redis.server().client().ping()).toBe('PONG');
  });
});

describe('a server with AOF (appendfsync always)', () => {
  const redis = useRedisServers({ count: 1, appendonly: true, appendfsync: 'always' });
  const prefix = uniquePrefix('harness-aof');

  it('kill() ends the process and restart() brings the data back on the same URL', async () => {
    const server = redis.server();
    const url = server.url;
    await server.client().set(`${prefix}:k`, 'v');
    await server.client().hincrby(`${prefix}:t:0`, 'views', 41);
    const pid = pidOf(server);

    await server.kill();
    expect(await waitForProcessesGone([pid])).toEqual([]);
    await expect(server.client(noRetry).ping()).rejects.toThrow();

    await server.restart();
    expect(server.url).toBe(url);
    expect(pidOf(server)).not.toBe(pid);
    const client = server.client();
    expect(await client.get(`${prefix}:k`)).toBe('v');
    expect(await client.hincrby(`${prefix}:t:0`, 'views', 1)).toBe(42);
  });

  it('keeps the data across a graceful stop() and restart()', async () => {
    const server = redis.server();
    await server.client().set(`${prefix}:graceful`, 'kept');
    const pid = pidOf(server);
    await server.stop();
    expect(await waitForProcessesGone([pid])).toEqual([]);
    await server.stop(); // idempotent
    await server.restart();
    expect(await server.client().get(`${prefix}:graceful`)).toBe('kept');
  });
});

describe('a server without AOF', () => {
  const redis = useRedisServers({ count: 1 });

  it('comes back empty after restart()', async () => {
    const server = redis.server();
    const key = `${uniquePrefix('harness-no-aof')}:k`;
    await server.client().set(key, 'v');
    await server.restart();
    expect(await server.client().exists(key)).toBe(0);
  });
});

describe('teardown', () => {
  it('stops every server of a suite whose test fails', async () => {
    const run = await runFixture('failing-suite');
    expect(run.exitCode, run.output).toBe(1);
    expect(run.output).toContain('failing on purpose');
    const [report] = run.reports;
    expect(report?.pids).toHaveLength(2);
    const pids = (report?.pids ?? []).map((pid) => pid ?? -1);
    expect(pids).not.toContain(-1);
    expect(await waitForProcessesGone(pids)).toEqual([]);
  });

  it('leaves no server behind when the owning process is SIGKILLed', async () => {
    const run = await runFixture('owner-killed');
    const [report] = run.reports;
    expect(report?.pids, run.output).toHaveLength(2);
    const pids = (report?.pids ?? []).map((pid) => pid ?? -1);
    // Processes die with their owner (parent-death signal). Containers and temp dirs need
    // the owner's cleanup, which SIGKILL skips: the next start removes those of dead owners.
    const next = await startRedisServers();
    await next.stop();
    expect(await waitForProcessesGone(pids)).toEqual([]);
    const orphans = (await readdir(tmpdir())).filter((name) =>
      name.startsWith(`countd-redis-${report?.ownerPid}-`),
    );
    expect(orphans).toEqual([]);
  });

  it('startRedisServers().stop() stops everything and can be called twice', async () => {
    const group = await startRedisServers({ count: 2 });
    const client = group.server(1).client();
    expect(await client.ping()).toBe('PONG');
    const pids = group.servers.map(pidOf);
    await Promise.all([group.stop(), group.stop()]);
    await group.stop();
    expect(client.status).toBe('end');
    expect(await waitForProcessesGone(pids)).toEqual([]);
  });
});
