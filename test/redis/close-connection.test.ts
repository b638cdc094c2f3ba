import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { closeConnection } from '../../src/redis/index.js';

describe('closeConnection', () => {
  it('drops a client that is not connected, instead of queueing a QUIT it cannot send', async () => {
    // Never connected (lazy) and pointed at a port nothing listens on: no Redis is reached.
    const redis = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: true });
    await closeConnection(redis);
    expect(redis.status).toBe('end');
    await expect(closeConnection(redis)).resolves.toBeUndefined();
  });
});
