/**
 * B1, a bench client process: one lane of the workload as one HINCRBY per increment, straight
 * to the counter's node (same ring and layout as countd) through ioredis with auto-pipelining.
 */
import type { Redis } from 'ioredis';
import type { StorageLayout } from '../../src/storage/index.js';
import { childMain, epochMs } from './bench-child.js';
import { connectNodes, type NodeClientsConfig } from './node-clients.js';
import { prepareLane, type LaneConfig, type LaneResult, type PreparedLane } from './workload.js';
import { ownCpuSecondsSince } from './proc-stats.js';

export interface DirectConfig extends NodeClientsConfig, LaneConfig {}

export interface DirectResult extends LaneResult {
  readonly lastReplyMs: number;
}

// Commands issued per event-loop turn (one auto-pipelined write per node) and turns in flight.
// Measured on this machine: 1024-8192 per turn are within noise of each other.
const CHUNK = 4096;
const IN_FLIGHT = 4;

interface State extends PreparedLane {
  clients: Map<string, Redis>;
  layout: StorageLayout;
}

async function setup(config: DirectConfig): Promise<State> {
  const nodes = await connectNodes(config, { enableAutoPipelining: true });
  return {
    ...nodes,
    ...prepareLane(config, 'stream'),
  };
}

async function run(state: State): Promise<DirectResult> {
  const { clients, layout, names } = state;
  const { indexes, deltas } = state.data;
  const cpuStart = process.cpuUsage();
  const firstSendMs = epochMs();
  const inFlight: Array<Promise<unknown>> = [];
  for (let start = 0; start < indexes.length; start += CHUNK) {
    const end = Math.min(indexes.length, start + CHUNK);
    let last: Promise<unknown> = Promise.resolve();
    for (let k = start; k < end; k++) {
      const name = names[indexes[k]!]!;
      const { node, key } = layout.locate(name);
      last = clients.get(node)!.hincrby(key, name, deltas[k]!);
    }
    inFlight.push(last);
    if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
  }
  await Promise.all(inFlight);
  // Replies come back in order per connection: the last command of each node is the last reply.
  await Promise.all([...clients.values()].map((c) => c.ping()));
  const lastReplyMs = epochMs();
  const cpuSeconds = ownCpuSecondsSince(cpuStart);
  for (const c of clients.values()) c.disconnect();
  return { increments: indexes.length, firstSendMs, lastReplyMs, cpuSeconds };
}

childMain(setup, run);
