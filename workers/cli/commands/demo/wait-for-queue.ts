import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, type ConnectionOptions } from 'bullmq';
import type { RedisOptions } from 'ioredis';

/**
 * Resolves when no job is waiting, delayed or active: every job is completed, so every
 * increment it carried is durable (a job is completed only after its flush). Returns false at
 * the deadline.
 */
export async function waitForQueueDrained(
  connection: RedisOptions,
  queueName: string,
  timeoutMs: number,
): Promise<boolean> {
  const queue = new Queue(queueName, { connection: connection as ConnectionOptions });
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      if (Object.values(counts).every((n) => n === 0)) return true;
      await sleep(100);
    }
    return false;
  } finally {
    await queue.close();
  }
}
