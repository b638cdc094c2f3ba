/**
 * B2, naive queue use: one BullMQ job per increment. The `producer` role adds the lane's
 * increments as jobs (`addBulk` in chunks, which is kind to the baseline); the `worker` role is
 * a plain BullMQ worker doing one HINCRBY per job on the counter's node (same ring and layout).
 */
import { Queue, Worker, type Job } from 'bullmq';
import { childMain, epochMs } from './bench-child.js';
import { connectNodes, hostPort, type NodeClientsConfig } from './node-clients.js';
import { prepareLane, type LaneConfig, type LaneResult, type PreparedLane } from './workload.js';
import { ownCpuSecondsSince } from './proc-stats.js';

export interface JobPerIncrementConfig extends NodeClientsConfig, LaneConfig {
  readonly role: 'producer' | 'worker';
  readonly queueUrl: string;
  readonly queueName: string;
  /** Worker concurrency. */
  readonly concurrency: number;
}

export interface JobPerIncrementResult extends LaneResult {
  readonly lastAddMs: number;
}

const ADD_CHUNK = 500;
const ADDS_IN_FLIGHT = 4;

interface JobData {
  readonly n: string;
  readonly d: number;
}

type State =
  ({ role: 'producer'; queue: Queue } & PreparedLane) | { role: 'worker'; worker: Worker };

function connection(url: string): { host: string; port: number; maxRetriesPerRequest: null } {
  return { ...hostPort(url), maxRetriesPerRequest: null };
}

async function setup(config: JobPerIncrementConfig): Promise<State> {
  if (config.role === 'producer') {
    const queue = new Queue(config.queueName, { connection: connection(config.queueUrl) });
    await queue.waitUntilReady();
    const lane = prepareLane(config, 'stream');
    return { role: 'producer', queue, ...lane };
  }
  const { layout, clients } = await connectNodes(config, { maxRetriesPerRequest: null });
  const worker = new Worker(
    config.queueName,
    async (job: Job<JobData>) => {
      const { node, key } = layout.locate(job.data.n);
      await clients.get(node)!.hincrby(key, job.data.n, job.data.d);
    },
    { connection: connection(config.queueUrl), concurrency: config.concurrency, autorun: false },
  );
  await worker.waitUntilReady();
  return { role: 'worker', worker };
}

async function run(state: State): Promise<JobPerIncrementResult> {
  if (state.role === 'worker') {
    // Runs until the bench kills it (it measures this process through /proc).
    await state.worker.run();
    return { increments: 0, firstSendMs: 0, lastAddMs: 0, cpuSeconds: 0 };
  }
  const { queue, names } = state;
  const { indexes, deltas } = state.data;
  const cpuStart = process.cpuUsage();
  const firstSendMs = epochMs();
  const inFlight: Array<Promise<unknown>> = [];
  for (let start = 0; start < indexes.length; start += ADD_CHUNK) {
    const jobs = [];
    for (let k = start; k < Math.min(indexes.length, start + ADD_CHUNK); k++) {
      jobs.push({
        name: 'incr',
        data: { n: names[indexes[k]!]!, d: deltas[k]! } satisfies JobData,
        opts: { removeOnComplete: true },
      });
    }
    inFlight.push(queue.addBulk(jobs));
    if (inFlight.length >= ADDS_IN_FLIGHT) await inFlight.shift();
  }
  await Promise.all(inFlight);
  const lastAddMs = epochMs();
  const cpuSeconds = ownCpuSecondsSince(cpuStart);
  await queue.close();
  return { increments: indexes.length, firstSendMs, lastAddMs, cpuSeconds };
}

childMain(setup, run);
