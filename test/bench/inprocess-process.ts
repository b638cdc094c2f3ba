/**
 * B3, a bench client process: what a careful user writes without countd. One lane of the
 * workload summed in a `Map` in the process, the Map swapped and written every flush interval
 * as pipelined HINCRBY straight to the counter's node (same ring and layout as countd). No
 * queue, no markers: a crash loses the buffer and a retried pipeline counts twice, which is
 * the durability and exactly-once that countd's extra CPU pays for.
 */
import type { Redis } from 'ioredis';
import type { StorageLayout } from '../../src/storage/index.js';
import { childMain, epochMs } from './bench-child.js';
import { connectNodes, hostPort, type NodeClientsConfig } from './node-clients.js';
import { RespSink } from './resp-sink.js';
import { prepareLane, type LaneConfig, type LaneResult, type PreparedLane } from './workload.js';
import { ownCpuSecondsSince } from './proc-stats.js';

export interface InProcessConfig extends NodeClientsConfig, LaneConfig {
  readonly flushIntervalMs: number;
  /**
   * `ioredis`: an ioredis pipeline per node, what a careful user writes. `raw`: the same
   * HINCRBY as RESP text straight on a socket, the floor of any client (no command objects,
   * no promise per command), to show how much of B3's CPU is the client library.
   */
  readonly writer: 'ioredis' | 'raw';
}

export interface InProcessResult extends LaneResult {
  readonly lastReplyMs: number;
  /** Flushes that wrote something, the final one included. */
  readonly flushes: number;
  /** HINCRBY sent: distinct counters per flush, summed. */
  readonly commands: number;
}

// Increments between yields to the event loop, as the countd producer lane does (so the
// interval timer and the replies get their turn).
const CHUNK = 2048;
// Commands per pipeline exec: large enough that the round trips do not matter, small enough
// that ioredis does not build one huge buffer per flush.
const PIPELINE = 5000;

interface State extends PreparedLane {
  clients: Map<string, Redis>;
  layout: StorageLayout;
  sinks: Map<string, RespSink>;
}

async function setup(config: InProcessConfig): Promise<State> {
  const nodes = await connectNodes(config);
  const sinks = new Map<string, RespSink>();
  if (config.writer === 'raw') {
    for (const node of config.nodes) {
      const { host, port } = hostPort(node.url);
      sinks.set(node.id, await RespSink.open(host, port));
    }
  }
  return { ...nodes, sinks, ...prepareLane(config, 'stream') };
}

/** The raw writer: RESP text per node, sent every PIPELINE commands; all replies awaited. */
async function writeRaw(state: State, buffer: Map<string, number>): Promise<number> {
  const { sinks, layout } = state;
  const text = new Map<string, string>();
  const queued = new Map<string, number>();
  const sends: Array<Promise<void>> = [];
  let commands = 0;
  for (const [name, delta] of buffer) {
    if (delta === 0) continue;
    const { node, key } = layout.locate(name);
    text.set(node, (text.get(node) ?? '') + RespSink.encode(['HINCRBY', key, name, String(delta)]));
    commands++;
    const n = (queued.get(node) ?? 0) + 1;
    if (n === PIPELINE) {
      sends.push(sinks.get(node)!.send(text.get(node)!, n));
      text.set(node, '');
      queued.set(node, 0);
    } else queued.set(node, n);
  }
  for (const [node, n] of queued) if (n > 0) sends.push(sinks.get(node)!.send(text.get(node)!, n));
  await Promise.all(sends);
  await Promise.all([...sinks.values()].map((s) => s.drained()));
  return commands;
}

/** Writes one swapped-out buffer: pipelined HINCRBY per node, nodes in parallel. */
async function write(state: State, buffer: Map<string, number>): Promise<number> {
  const { clients, layout } = state;
  const pipelines = new Map<string, ReturnType<Redis['pipeline']>>();
  const queued = new Map<string, number>();
  const execs: Array<Promise<unknown>> = [];
  let commands = 0;
  const check = (replies: Array<[Error | null, unknown]> | null): void => {
    for (const [err] of replies ?? []) if (err !== null) throw err;
  };
  for (const [name, delta] of buffer) {
    if (delta === 0) continue;
    const { node, key } = layout.locate(name);
    let pipeline = pipelines.get(node);
    if (pipeline === undefined) {
      pipeline = clients.get(node)!.pipeline();
      pipelines.set(node, pipeline);
    }
    pipeline.hincrby(key, name, delta);
    commands++;
    const n = (queued.get(node) ?? 0) + 1;
    if (n === PIPELINE) {
      execs.push(pipeline.exec().then(check));
      pipelines.delete(node);
      queued.set(node, 0);
    } else queued.set(node, n);
  }
  for (const pipeline of pipelines.values()) execs.push(pipeline.exec().then(check));
  await Promise.all(execs);
  return commands;
}

async function run(state: State, config: InProcessConfig): Promise<InProcessResult> {
  const { names } = state;
  const { indexes, deltas } = state.data;
  let buffer = new Map<string, number>();
  const writes: Array<Promise<number>> = [];
  const flush = (): void => {
    if (buffer.size === 0) return;
    const full = buffer;
    buffer = new Map();
    writes.push(config.writer === 'raw' ? writeRaw(state, full) : write(state, full));
  };
  const cpuStart = process.cpuUsage();
  const firstSendMs = epochMs();
  const timer = setInterval(flush, config.flushIntervalMs);
  try {
    for (let start = 0; start < indexes.length; start += CHUNK) {
      const end = Math.min(indexes.length, start + CHUNK);
      for (let k = start; k < end; k++) {
        const name = names[indexes[k]!]!;
        buffer.set(name, (buffer.get(name) ?? 0) + deltas[k]!);
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    clearInterval(timer);
  }
  flush();
  const commands = (await Promise.all(writes)).reduce((a, b) => a + b, 0);
  const lastReplyMs = epochMs();
  const cpuSeconds = ownCpuSecondsSince(cpuStart);
  for (const c of state.clients.values()) c.disconnect();
  await Promise.all([...state.sinks.values()].map((s) => s.close()));
  return {
    increments: indexes.length,
    firstSendMs,
    lastReplyMs,
    cpuSeconds,
    flushes: writes.length,
    commands,
  };
}

childMain(setup, run);
