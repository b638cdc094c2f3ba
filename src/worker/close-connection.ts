import type { Redis } from 'ioredis';

/**
 * QUIT when connected. A client whose server is down cannot send QUIT (storage clients have no
 * offline queue; the queue client's would hold it until the server is back) and goes on
 * reconnecting, which keeps the process alive after close(): disconnect it instead.
 */
export async function quitOrDisconnect(redis: Redis): Promise<void> {
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  await redis.quit().catch(() => redis.disconnect());
}
