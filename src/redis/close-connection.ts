import type { Redis } from 'ioredis';

/**
 * Closes a client: QUIT when connected, else drops the connection. A client whose server is
 * down cannot send QUIT (one without an offline queue fails it; one with an offline queue
 * holds it until the server is back) and goes on reconnecting, which keeps the process alive
 * after close(): it is disconnected instead. Never throws.
 */
export async function closeConnection(redis: Redis): Promise<void> {
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  await redis.quit().catch(() => redis.disconnect());
}
