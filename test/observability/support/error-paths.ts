import { setTimeout as sleep } from 'node:timers/promises';
import type { Queue } from 'bullmq';
import { ProducerFullError, QueueUnavailableError } from '../../../src/errors/index.js';
import { JOB_NAME, PAYLOAD_VERSION, type JobPayload } from '../../../src/jobs/index.js';
import type { ProducerMetrics } from '../../../src/metrics/index.js';
import { Producer } from '../../../src/producer/index.js';
import { findFreePort } from '../../../workers/local-stack/redis/free-port.js';

/*
 * Ways to make the worker and producer error series exist honestly, by going down the very code
 * paths they count: no metric is incremented by hand.
 */

/**
 * Adds jobs no worker can parse (what a foreign or buggy producer could enqueue): each fails
 * with countd_jobs_failed_total{reason="malformed"}. Returns their ids.
 */
export async function addMalformedJobs(queue: Queue, idPrefix: string): Promise<string[]> {
  const payloads: unknown[] = [
    { v: PAYLOAD_VERSION, t: 'yesterday', c: [['a', 1]] },
    { v: 99, t: Date.now(), c: [] },
    { v: PAYLOAD_VERSION, t: Date.now(), c: [['tab\tin name', 1]] },
    { v: PAYLOAD_VERSION, t: Date.now(), c: [['fine', 0.5]] },
  ];
  const ids = payloads.map((_, i) => `${idPrefix}-malformed-${i}`);
  await Promise.all(
    payloads.map((data, i) =>
      queue.add(JOB_NAME, data, { jobId: ids[i]!, attempts: 1, removeOnFail: { count: 100 } }),
    ),
  );
  return ids;
}

/**
 * Runs one valid job to completion, then adds it again under the same id with the same payload,
 * as a producer retrying an `add` whose first attempt landed would after the job completed.
 * Its markers are still on the storage nodes (grace TTL), so every node part is found already
 * applied: countd_duplicate_parts_skipped_total{node} counts them and nothing is added twice.
 */
export async function addDuplicateJob(
  queue: Queue,
  jobId: string,
  counterNames: readonly string[],
  timeoutMs = 15_000,
): Promise<void> {
  const payload: JobPayload = {
    v: PAYLOAD_VERSION,
    t: Date.now(),
    c: counterNames.map((name) => [name, 1] as const),
  };
  for (let copy = 0; copy < 2; copy++) {
    await queue.add(JOB_NAME, payload, { jobId, attempts: 1, removeOnComplete: true });
    await waitRemovedOnComplete(queue, jobId, timeoutMs);
  }
}

async function waitRemovedOnComplete(queue: Queue, jobId: string, timeoutMs: number) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const state = await queue.getJobState(jobId);
    if (state === 'unknown') return; // completed, then removed (removeOnComplete)
    if (state === 'failed') {
      const job = await queue.getJob(jobId);
      throw new Error(`job ${jobId} failed: ${job?.failedReason ?? '?'}`);
    }
    if (performance.now() > deadline)
      throw new Error(`job ${jobId} still ${state} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

/**
 * Makes producers refuse or fail one batch each way they can, counted by
 * countd_enqueue_errors_total{reason}: `full` (a producer at its pending-increments limit) and
 * `unavailable` (a producer whose queue Redis does not answer within its deadline: a loopback
 * port where nothing listens). Returns the errors, so the caller can show they are the real ones.
 */
export async function causeEnqueueErrors(
  queue: { host: string; port: number },
  queueName: string,
  metrics: ProducerMetrics,
): Promise<{ full: unknown; unavailable: unknown }> {
  const small = new Producer({ queue, queueName, metrics, maxPendingIncrements: 1 });
  const accepted = small.increment('enqueue-errors:probe', 1);
  const full = await small.increment('enqueue-errors:probe', 1).catch((err: unknown) => err);
  await accepted;
  await small.close();

  const deadPort = await findFreePort('127.0.0.1');
  const offline = new Producer({
    // No reconnect loop: the port stays dead, and close() must not wait on a connection.
    queue: { host: '127.0.0.1', port: deadPort, retryStrategy: () => null },
    queueName,
    metrics,
    lingerMs: 0,
    attemptTimeoutMs: 200,
    deadlineMs: 600,
  });
  const unavailable = await offline
    .increment('enqueue-errors:probe', 1)
    .catch((err: unknown) => err);
  await offline.close().catch(() => undefined);
  if (!(full instanceof ProducerFullError) || !(unavailable instanceof QueueUnavailableError)) {
    throw new Error(
      `expected ProducerFullError and QueueUnavailableError, got ${String(full)} and ${String(unavailable)}`,
    );
  }
  return { full, unavailable };
}
