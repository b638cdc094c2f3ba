import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../src/errors/index.js';
import {
  findRedisServer,
  LocalRedisStartError,
  probeRedis,
  RedisServerNotFoundError,
  startLocalRedis,
  type LocalRedisServer,
} from '../../../../workers/local-stack/redis/index.js';
import { waitForProcessesGone } from '../../../support/process-alive.js';

// The launcher itself, so it always runs redis-server processes, whatever the harness backend.
describe.skipIf(findRedisServer() === undefined)('startLocalRedis', () => {
  let root: string;
  const servers: LocalRedisServer[] = [];
  const clients: Redis[] = [];

  const start = async (
    name: string,
    options: Partial<Parameters<typeof startLocalRedis>[0]> = {},
  ) => {
    const server = await startLocalRedis({ dir: join(root, name), name, ...options });
    servers.push(server);
    return server;
  };
  const connect = (server: LocalRedisServer): Redis => {
    const client = new Redis(server.url, { maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'countd-local-redis-'));
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.disconnect();
  });
  afterAll(async () => {
    await Promise.allSettled(servers.map((s) => s.stop()));
    await rm(root, { recursive: true, force: true });
  });

  it('starts on a free loopback port and is the process that answers there', async () => {
    const server = await start('basic');
    expect(server.host).toBe('127.0.0.1');
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    expect(server.port).not.toBe(6379);
    expect(server.running).toBe(true);
    expect(await probeRedis(server.host, server.port)).toEqual({ state: 'ready', pid: server.pid });
    expect(existsSync(join(root, 'basic', 'basic.log'))).toBe(true);
    expect(await connect(server).config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
  });

  it('refuses a port that is already taken, without speaking to whatever holds it', async () => {
    const holder = await start('holder');
    const attempt = start('intruder', { port: holder.port });
    await expect(attempt).rejects.toBeInstanceOf(LocalRedisStartError);
    await expect(attempt).rejects.toMatchObject({ reason: 'port-in-use', port: holder.port });
    expect(await connect(holder).ping()).toBe('PONG');
  });

  it('reports a server that exits at start with the tail of its log', async () => {
    const attempt = start('bad-args', { extraArgs: ['--no-such-directive', 'x'] });
    await expect(attempt).rejects.toMatchObject({ reason: 'exited' });
    await expect(attempt).rejects.toThrow(/Bad directive/);
  });

  it('names what is missing: the binary, or a valid option', async () => {
    await expect(
      start('no-binary', { redisServerPath: join(root, 'nope') }),
    ).rejects.toBeInstanceOf(RedisServerNotFoundError);
    await expect(start('bad-port', { port: 70000 })).rejects.toThrow(ConfigError);
    await expect(start('bad port name')).rejects.toThrow(/name/);
  });

  it('stop() is graceful, shared by concurrent callers, and idempotent', async () => {
    const server = await start('stopper');
    const pid = server.pid ?? -1;
    const exits: unknown[] = [];
    server.on('exit', (code, signal) => exits.push([code, signal]));
    const first = server.stop();
    expect(server.stop()).toBe(first);
    await first;
    expect(server.running).toBe(false);
    expect(exits).toEqual([[0, null]]);
    expect(await waitForProcessesGone([pid])).toEqual([]);
    await server.stop();
    expect(exits).toHaveLength(1);
  });

  it('restart() after kill() comes back on the same port with its AOF data', async () => {
    const server = await start('durable', { appendfsync: 'always' });
    const { port } = server;
    await connect(server).hincrby('countd:t:1', 'views', 7);
    const pid = server.pid ?? -1;
    await server.kill();
    expect(server.running).toBe(false);
    expect(await waitForProcessesGone([pid])).toEqual([]);
    await server.restart();
    expect(server.port).toBe(port);
    expect(server.pid).not.toBe(pid);
    expect(await connect(server).hget('countd:t:1', 'views')).toBe('7');
  });
});
