import type { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { PAYLOAD_VERSION } from '../../src/jobs/index.js';
import { HashRing } from '../../src/ring/index.js';
import { StorageLayout } from '../../src/storage/index.js';
import { FlushGroup } from '../../src/worker/flush-group.js';
import { HeldJob } from '../../src/worker/held-job.js';
import { NodeWriter } from '../../src/worker/node-writer.js';
import { applyAccess } from '../support/apply-access.js';
import { uniquePrefix, useRedisServers } from '../support/redis-harness.js';

/** PUBLISH calls the node counted since it started (INFO commandstats). */
async function publishCalls(client: Redis): Promise<number> {
  const info = await client.info('commandstats');
  return Number(/cmdstat_publish:calls=(\d+)/.exec(info)?.[1] ?? 0);
}

// The apply script publishes new values only while the node's update channel has a subscriber,
// decided inside the atomic apply: nothing is published to nobody, and a subscriber gets every
// apply that ran after its SUBSCRIBE.
describe('publishing only while someone watches', () => {
  const redis = useRedisServers({ count: 1 });

  it('publishes nothing to a channel without subscribers, every value once one subscribes', async () => {
    const server = redis.server(0);
    const client = server.client();
    onTestFinished(() => client.disconnect());
    const layout = new StorageLayout(
      new HashRing([{ id: 'a', weight: 1 }]),
      uniquePrefix('publish'),
      16,
    );
    const channel = layout.keys.updatesChannel();
    const writer = new NodeWriter('a', client, layout, {
      markerTtlSeconds: 60,
      markerGraceSeconds: 5,
      channel,
      publishChunk: 500,
    });
    const access = await applyAccess(client, layout);
    let seq = 0;
    const apply = async (name: string, delta: number) => {
      const group = new FlushGroup();
      group.jobs.push(new HeldJob(`publish-${++seq}`, { v: PAYLOAD_VERSION, t: 0, c: [] }, 0));
      group.add(name, delta);
      const outcome = await writer.apply(group, [], access);
      expect(outcome.kind).toBe('applied');
    };

    const before = await publishCalls(client);
    await apply('page:home', 5);
    expect(await publishCalls(client)).toBe(before);

    const subscriber = server.client();
    onTestFinished(() => subscriber.disconnect());
    const messages: string[] = [];
    subscriber.on('message', (_channel: string, message: string) => messages.push(message));
    await subscriber.subscribe(channel);
    await apply('page:home', 2);
    await apply('page:cart', 1);
    // A round trip on the subscriber's connection: the messages before it have arrived.
    await subscriber.ping();
    expect(messages).toEqual(['page:home\t7', 'page:cart\t1']);

    await subscriber.unsubscribe(channel);
    const afterUnsubscribe = await publishCalls(client);
    await apply('page:home', 1);
    expect(await publishCalls(client)).toBe(afterUnsubscribe);
    expect(await client.hget(layout.locate('page:home').key, 'page:home')).toBe('8');
  });
});
