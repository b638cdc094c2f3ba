import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRedisUrl, toRedisOptions } from '../../src/config/index.js';
import { closeConnection } from '../../src/redis/index.js';
import { SentinelStack } from '../../workers/local-stack/sentinel-stack.js';
import type { LocalRedisServer } from '../../workers/local-stack/redis/index.js';

/** Clients subscribed on the sentinels: ioredis's failover detectors (sentinels subscribe to nobody). */
async function detectorSockets(stack: SentinelStack): Promise<number> {
  let count = 0;
  for (const s of stack.sentinels) {
    const admin = new Redis({ host: s.host, port: s.port, maxRetriesPerRequest: 1 });
    try {
      const list = String(await admin.call('CLIENT', 'LIST'));
      count += list.split('\n').filter((line) => / sub=[1-9]/.test(line)).length;
    } finally {
      admin.disconnect();
    }
  }
  return count;
}

async function replicaOf(server: LocalRedisServer, primary: LocalRedisServer): Promise<void> {
  const redis = new Redis({ host: server.host, port: server.port, maxRetriesPerRequest: 1 });
  try {
    await redis.call('REPLICAOF', primary.host, String(primary.port));
  } finally {
    redis.disconnect();
  }
}

describe('clients of redis+sentinel:// URLs (FollowingSentinelConnector)', () => {
  let dir: string;
  let stack: SentinelStack;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'countd-sentinel-connector-'));
    stack = await SentinelStack.start({
      dir,
      groups: ['a'],
      replicas: 1,
      sentinels: 2,
      downAfterMs: 1000,
      failoverTimeoutMs: 3000,
    });
    await stack.settled();
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const client = () => {
    const redis = new Redis({
      ...toRedisOptions(parseRedisUrl(stack.url('a'), 'COUNTD_NODES')),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 2000,
    });
    redis.on('error', () => undefined);
    return redis;
  };

  it('quit() leaves no socket open to the sentinels (a process using it can exit)', async () => {
    const redis = client();
    await new Promise((resolve) => redis.once('ready', resolve));
    await redis.set('connector:quit', '1');
    const deadline = Date.now() + 5000;
    while ((await detectorSockets(stack)) === 0 && Date.now() < deadline) await sleep(50);
    expect(await detectorSockets(stack)).toBeGreaterThan(0);
    await closeConnection(redis);
    const closedBy = Date.now() + 5000;
    while ((await detectorSockets(stack)) > 0 && Date.now() < closedBy) await sleep(50);
    expect(await detectorSockets(stack)).toBe(0);
  });

  // ioredis's own connector kept the detector of a closed connection subscribed: its
  // +switch-master, landing while the reconnect asked a sentinel for the primary, ended the
  // client for good ("Connection is closed." on every command). 300 clients lost 45 of theirs
  // in the first failover of this test before the fix.
  it('a primary SIGKILLed and its replica promoted, twice: every client follows, none ends', async () => {
    const clients = Array.from({ length: 200 }, client);
    const ended = new Set<Redis>();
    for (const redis of clients) redis.on('end', () => ended.add(redis));
    let stop = false;
    const writing = clients.map(async (redis) => {
      while (!stop) {
        await redis.incr('connector:writes').catch(() => undefined);
        await sleep(5);
      }
    });
    try {
      for (let round = 0; round < 2; round++) {
        const old = await stack.primaryOf('a');
        await old.kill();
        let promoted = old;
        while (promoted === old) {
          await sleep(50);
          promoted = await stack.primaryOf('a').catch(() => old);
        }
        await sleep(2000);
        await old.restart();
        await replicaOf(old, promoted);
      }
      const deadline = Date.now() + 20_000;
      while (clients.some((r) => r.status !== 'ready') && Date.now() < deadline) await sleep(100);
    } finally {
      stop = true;
      await Promise.all(writing);
    }
    expect(ended.size).toBe(0);
    for (const redis of clients) expect(redis.status).toBe('ready');
    // Writes answered: each is on the primary (a replica answers READONLY).
    const answers = await Promise.all(clients.map((r) => r.incr('connector:after')));
    expect(answers).toHaveLength(200);
    await Promise.all(clients.map((r) => closeConnection(r)));
  }, 90_000);
});
