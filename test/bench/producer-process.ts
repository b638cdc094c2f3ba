/**
 * A bench producer process: one lane of the workload through a countd {@link Producer}, as an
 * application would call it (`increment(name, delta)`). The lane's increments and expected
 * totals are generated before `go`, so the timed loop costs what an application's calls cost.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Producer } from '../../src/producer/index.js';
import { childMain, epochMs } from './bench-child.js';
import { hostPort } from './node-clients.js';
import { prepareLane, type LaneConfig, type LaneResult, type PreparedLane } from './workload.js';
import { ownCpuSecondsSince } from './proc-stats.js';

export interface ProducerConfig extends LaneConfig {
  readonly queueUrl: string;
  readonly queueName: string;
  /** See {@link prepareLane}. */
  readonly mode: 'stream' | 'distinct';
  /** Increments per second for this lane; 0: as fast as the producer takes them. */
  readonly rate: number;
  readonly lingerMs?: number;
  readonly maxBatch?: number;
  readonly maxInFlight?: number;
  /** Replicas of the queue Redis a job's add waits for (`WAIT`); default 0. */
  readonly minReplicas?: number;
}

export interface ProducerResult extends LaneResult {
  readonly lane: number;
  /** Coalesced `[name, delta]` pairs in the jobs. */
  readonly pairs: number;
  /**
   * Increments in the jobs sent (a batch whose pairs all summed to 0 sends no job): what
   * `countd_increments_flushed_total` counts, jobs carrying their increment count `n`.
   */
  readonly enqueuedIncrements: number;
  readonly jobs: number;
  /** True when some batch was not confirmed (the expected totals are then not what was sent). */
  readonly failed: boolean;
  readonly errors: readonly string[];
  /** Its last batch's confirmation: where `cpuSeconds` ends. */
  readonly lastConfirmMs: number;
}

// Increments between yields to the event loop (which lets the producer send).
const CHUNK = 2048;
// Increments taken but not yet confirmed beyond which the lane waits: well below the producer's
// maxPendingIncrements, so it never refuses one.
const WINDOW = 200_000;

interface State extends PreparedLane {
  producer: Producer;
  counts: { pairs: number; jobs: number; increments: number };
}

async function setup(config: ProducerConfig): Promise<State> {
  const producer = new Producer({
    queue: hostPort(config.queueUrl),
    queueName: config.queueName,
    producerId: `bench-${config.lane}-${process.pid}`,
    lingerMs: config.lingerMs,
    maxBatch: config.maxBatch,
    maxInFlight: config.maxInFlight,
    minReplicas: config.minReplicas,
  });
  const counts = { pairs: 0, jobs: 0, increments: 0 };
  producer.on('enqueued', (e) => {
    counts.pairs += e.counters;
    counts.increments += e.increments;
    counts.jobs++;
  });
  // Connect before `go`, so the first send does not time the connection (the bench counts
  // this one pair per producer in what the workers flush).
  await producer.increment('bench:warmup', 1);
  counts.pairs = 0;
  counts.jobs = 0;
  counts.increments = 0;
  const lane = prepareLane(config, config.mode);
  return { producer, ...lane, counts };
}

async function run(state: State, config: ProducerConfig): Promise<ProducerResult> {
  const { producer, names, counts } = state;
  const { indexes, deltas } = state.data;
  const { rate } = config;
  const share = indexes.length;
  const batches: Promise<void>[] = [];
  let last: Promise<void> | undefined;
  const errors: string[] = [];
  const noteError = (err: unknown): void => {
    const message = err instanceof Error ? err.message : String(err);
    if (errors.length < 5 && !errors.includes(message)) errors.push(message);
  };
  const cpuStart = process.cpuUsage();
  const firstSendMs = epochMs();
  let sent = 0;
  while (sent < share) {
    while (producer.pendingIncrements > WINDOW && batches.length > 0) {
      await batches.shift()!.catch(() => undefined);
    }
    let n = Math.min(CHUNK, share - sent);
    if (rate > 0) {
      const allowed = Math.floor(((epochMs() - firstSendMs) / 1000) * rate) - sent;
      if (allowed <= 0) {
        await sleep(2);
        continue;
      }
      n = Math.min(n, allowed);
    }
    const end = sent + n;
    for (let k = sent; k < end; k++) {
      const promise = producer.increment(names[indexes[k]!]!, deltas[k]!);
      if (promise !== last) {
        last = promise;
        batches.push(promise);
        promise.catch(noteError);
      }
    }
    sent = end;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  await producer.flush().catch(() => undefined);
  const settled = await Promise.allSettled(batches);
  const lastConfirmMs = epochMs();
  const cpuSeconds = ownCpuSecondsSince(cpuStart);
  await producer.close().catch(() => undefined);
  return {
    lane: config.lane,
    increments: sent,
    pairs: counts.pairs,
    enqueuedIncrements: counts.increments,
    jobs: counts.jobs,
    failed: settled.some((s) => s.status === 'rejected'),
    errors,
    firstSendMs,
    lastConfirmMs,
    cpuSeconds,
  };
}

childMain(setup, run);
