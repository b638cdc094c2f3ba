/**
 * `--only ring-change`, the runner process: plans the change (what `countd ring add --dry-run`
 * does), then begins and runs it with the library's RingChangeRunner, timing each phase and
 * reading its own CPU and the nodes' (from /proc) at the start and end of the moving phase.
 */
import { Redis } from 'ioredis';
import {
  RingChangeRunner,
  parseRingRecord,
  planChange,
  proposeRing,
  type RingRecord,
} from '../../src/ring-change/index.js';
import { CountdKeys } from '../../src/keys/index.js';
import { childMain } from './bench-child.js';
import { cpuSeconds } from './proc-stats.js';

export interface RingChangeChildConfig {
  readonly queuePort: number;
  readonly queueName: string;
  /** Node id -> port of every node of `from` and the added one. */
  readonly ports: Readonly<Record<string, number>>;
  /** Node pids whose CPU is counted (the runner's own is added). */
  readonly nodePids: readonly number[];
  readonly added: { readonly id: string; readonly url: string };
  readonly batchSize: number | undefined;
}

export interface RingChangeChildResult {
  readonly planSeconds: number;
  readonly planMoving: number;
  readonly planCounters: number;
  readonly movingSeconds: number;
  readonly totalSeconds: number;
  readonly moved: number;
  /** CPU seconds of the runner and of the nodes during the moving phase. */
  readonly runnerCpuSeconds: number;
  readonly nodesCpuSeconds: number;
}

interface State {
  readonly queue: Redis;
  readonly clients: Map<string, Redis>;
}

async function setup(config: RingChangeChildConfig): Promise<State> {
  const queue = new Redis({ host: '127.0.0.1', port: config.queuePort });
  const clients = new Map(
    Object.entries(config.ports).map(([id, port]) => [id, new Redis({ host: '127.0.0.1', port })]),
  );
  await Promise.all([queue.ping(), ...[...clients.values()].map((c) => c.ping())]);
  return { queue, clients };
}

const nodesCpu = (pids: readonly number[]): number =>
  pids.reduce((sum, pid) => sum + (cpuSeconds(pid) ?? 0), 0);
const ownCpu = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

async function run(state: State, config: RingChangeChildConfig): Promise<RingChangeChildResult> {
  const { queue, clients } = state;
  const keys = new CountdKeys('countd');
  const text = await queue.get(keys.fleetRing(config.queueName));
  if (text === null) throw new Error('no ring registered');
  const from: RingRecord = parseRingRecord(text, keys.fleetRing(config.queueName));
  const to = proposeRing(from, {
    kind: 'add',
    node: { id: config.added.id, weight: 1, url: config.added.url },
  });
  const planStart = performance.now();
  const plan = await planChange(from, to, clients);
  const planSeconds = (performance.now() - planStart) / 1000;

  const runner = new RingChangeRunner({
    queue,
    queueName: config.queueName,
    connect: (node) => clients.get(node.id)!,
    settlePollMs: 20,
    ...(config.batchSize === undefined ? {} : { batchSize: config.batchSize }),
  });
  let moved = 0;
  let movingStart = NaN;
  let movingEnd = NaN;
  let cpuAtStart = { runner: 0, nodes: 0 };
  let cpuAtEnd = { runner: 0, nodes: 0 };
  runner.on('phase', (phase) => {
    const sample = { runner: ownCpu(), nodes: nodesCpu(config.nodePids) };
    if (phase === 'moving') {
      movingStart = performance.now();
      cpuAtStart = sample;
    } else if (phase === 'settling') {
      movingEnd = performance.now();
      cpuAtEnd = sample;
    }
  });
  runner.on('progress', (p) => (moved = p.moved));
  const started = performance.now();
  await runner.begin('add', to);
  await runner.run();
  const totalSeconds = (performance.now() - started) / 1000;
  queue.disconnect();
  for (const c of clients.values()) c.disconnect();
  return {
    planSeconds,
    planMoving: plan.moving,
    planCounters: plan.counters,
    movingSeconds: (movingEnd - movingStart) / 1000,
    totalSeconds,
    moved,
    runnerCpuSeconds: cpuAtEnd.runner - cpuAtStart.runner,
    nodesCpuSeconds: cpuAtEnd.nodes - cpuAtStart.nodes,
  };
}

childMain(setup, run);
