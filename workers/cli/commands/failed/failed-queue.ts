import { Queue, type Job } from 'bullmq';
import { requireQueue, toRedisOptions, type CountdConfig } from '../../../../src/config/index.js';
import { CLI_CONNECT_TIMEOUT_MS } from '../reader-from-config.js';
import type { FailedJobFacts } from './retry-plan.js';
import { parseRetryRecords } from './retry-record.js';

/**
 * The deployment's BullMQ queue (COUNTD_QUEUE_URL, COUNTD_QUEUE_NAME) for a command line run:
 * an unreachable queue Redis fails the command within the connect timeout instead of hanging.
 */
export function openQueue(config: CountdConfig): Queue {
  const queue = new Queue(config.queueName, {
    connection: {
      ...toRedisOptions(requireQueue(config)),
      connectTimeout: CLI_CONNECT_TIMEOUT_MS,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    },
  });
  // Failures reach the caller through the rejected calls.
  queue.on('error', () => undefined);
  return queue;
}

/** The facts a retry is planned from; the job's log is read only when the plan needs it. */
export async function failedJobFacts(queue: Queue, job: Job): Promise<FailedJobFacts> {
  const data: unknown = job.data;
  const hasR = typeof data === 'object' && data !== null && 'r' in data;
  const { logs } = hasR ? { logs: [] } : await queue.getJobLogs(job.id!, 0, -1);
  return {
    id: job.id!,
    data,
    failedReason: job.failedReason ?? '',
    attemptsMade: job.attemptsMade,
    records: parseRetryRecords(logs),
  };
}

/** The message for a queue call that failed: names the queue and its Redis, never a password. */
export function queueProblem(config: CountdConfig, err: unknown): string {
  const detail = err instanceof Error ? err.message : String(err);
  return `queue "${config.queueName}" on ${requireQueue(config).display}: ${detail}`;
}
