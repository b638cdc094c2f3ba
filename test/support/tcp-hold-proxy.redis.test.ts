import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { uniquePrefix, useRedisServers } from './redis-harness.js';
import { describeReply, TcpHoldProxy } from './tcp-hold-proxy.js';

describe('TcpHoldProxy', () => {
  const redis = useRedisServers({ count: 1 });
  const prefix = uniquePrefix('hold-proxy');
  const opened: Array<{ close(): Promise<unknown> }> = [];
  afterEach(async () => {
    for (const item of opened.splice(0).reverse()) await item.close();
  });

  async function throughProxy() {
    const server = redis.server(0);
    const proxy = await TcpHoldProxy.start(server);
    const client = new Redis({ host: '127.0.0.1', port: proxy.port, maxRetriesPerRequest: 0 });
    opened.push(proxy, { close: () => client.quit() });
    return { proxy, client, direct: server.client() };
  }

  it('relays commands both ways until told to hold', async () => {
    const { proxy, client, direct } = await throughProxy();
    await client.set(`${prefix}:relayed`, 'v');
    expect(await direct.get(`${prefix}:relayed`)).toBe('v');
    expect(proxy.url).toBe(`redis://127.0.0.1:${proxy.port}`);
    expect(proxy.isHolding).toBe(false);
  });

  it('holds a script call and what follows it on the wire: the server runs it only on release', async () => {
    const { proxy, client, direct } = await throughProxy();
    const key = `${prefix}:held`;
    await client.ping(); // connected before arming: the hold catches the script, not a handshake
    const held = proxy.holdNext();
    const script = client.eval("return redis.call('INCRBY', KEYS[1], 5)", 1, key);
    const after = client.incr(key);
    expect((await held).bytes).toBeGreaterThan(0);
    await sleep(200);
    expect(await direct.get(key)).toBeNull();
    expect(proxy.isHolding).toBe(true);

    const outcome = await proxy.release();
    expect(outcome.delivered).toBe(true);
    expect(await script).toBe(5);
    expect(await after).toBe(6);
    expect(describeReply(outcome.reply)).toMatch(/^integer ":5\\r\\n/);
    expect(proxy.isHolding).toBe(false);
  });

  it('reports a server error reply and holds nothing once released', async () => {
    const { proxy, client } = await throughProxy();
    await client.ping();
    const held = proxy.holdNext();
    const failing = client.eval("return redis.error_reply('stale')", 0).catch((e: Error) => e);
    await held;
    const outcome = await proxy.release();
    expect(describeReply(outcome.reply)).toMatch(/^error "-(ERR )?stale\\r\\n"$/);
    expect(String(await failing)).toContain('stale');
    expect(await proxy.release()).toEqual({ delivered: false, bytes: 0, reply: undefined });
  });
});
