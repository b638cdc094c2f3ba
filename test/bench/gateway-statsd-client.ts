/**
 * A bench StatsD client: one lane of the workload as `name:delta|c\n` lines, written over TCP
 * (`connections` persistent connections, 64 KiB writes, waiting for `drain`) or sent over UDP
 * (packets of whole lines up to 1,432 bytes, as StatsD clients size them for a 1,500-byte MTU).
 * Names are {@link statsdName}'s; lines are built before `go`.
 */
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { childMain, epochMs } from './bench-child.js';
import { statsdName } from './gateway-statsd-lines.js';
import { prepareLane, type LaneConfig } from './workload.js';
import { ownCpuSecondsSince } from './proc-stats.js';

export interface GatewayStatsdConfig extends LaneConfig {
  readonly transport: 'tcp' | 'udp';
  readonly port: number;
  /** TCP connections (UDP: one socket). */
  readonly connections: number;
  /** UDP only: lines per second to send at; 0 or absent: as fast as the socket takes them. */
  readonly rate?: number;
}

export interface GatewayStatsdResult {
  readonly lane: number;
  readonly lines: number;
  readonly bytes: number;
  /** UDP packets (TCP: writes). */
  readonly sends: number;
  readonly firstSendMs: number;
  /** Last write taken by the kernel (TCP: every connection ended cleanly). */
  readonly lastSendMs: number;
  readonly cpuSeconds: number;
}

const TCP_WRITE_BYTES = 64 * 1024;
const UDP_PACKET_BYTES = 1432;
// UDP sends awaited in windows of this many packets: bounded memory, the socket kept busy.
const UDP_WINDOW = 64;

interface State {
  chunks: Buffer[];
  lines: number;
  bytes: number;
}

async function setup(config: GatewayStatsdConfig): Promise<State> {
  const { data } = prepareLane(config, 'stream');
  const limit = config.transport === 'tcp' ? TCP_WRITE_BYTES : UDP_PACKET_BYTES;
  const chunks: Buffer[] = [];
  let current = '';
  for (let i = 0; i < data.indexes.length; i++) {
    const line = `${statsdName(data.indexes[i]!)}:${data.deltas[i]!}|c`;
    // UDP: lines separated by `\n` within a packet; TCP: every line ends with `\n`.
    const sep = config.transport === 'tcp' ? '\n' : current === '' ? '' : '\n';
    if (current.length + sep.length + line.length > limit) {
      chunks.push(Buffer.from(current));
      current = '';
    }
    current += config.transport === 'tcp' ? `${line}\n` : current === '' ? line : `\n${line}`;
  }
  if (current !== '') chunks.push(Buffer.from(current));
  const bytes = chunks.reduce((s, c) => s + c.length, 0);
  return { chunks, lines: data.indexes.length, bytes };
}

async function sendTcp(state: State, config: GatewayStatsdConfig): Promise<void> {
  const sockets: Socket[] = [];
  for (let i = 0; i < config.connections; i++) {
    const socket = connect(config.port, '127.0.0.1');
    await once(socket, 'connect');
    sockets.push(socket);
  }
  await Promise.all(
    sockets.map(async (socket, s) => {
      for (let c = s; c < state.chunks.length; c += sockets.length) {
        if (!socket.write(state.chunks[c]!)) await once(socket, 'drain');
      }
      socket.end();
      await once(socket, 'close');
    }),
  );
}

async function sendUdp(state: State, config: GatewayStatsdConfig): Promise<void> {
  const socket = createSocket('udp4');
  socket.connect(config.port, '127.0.0.1');
  await once(socket, 'connect');
  const linesPerPacket = state.lines / Math.max(1, state.chunks.length);
  const started = performance.now();
  for (let at = 0; at < state.chunks.length; at += UDP_WINDOW) {
    const sends: Array<Promise<void>> = [];
    for (let c = at; c < Math.min(at + UDP_WINDOW, state.chunks.length); c++)
      sends.push(
        new Promise<void>((resolve) =>
          // A refused or dropped packet is what UDP does: counted by the receiver, not here.
          socket.send(state.chunks[c]!, () => resolve()),
        ),
      );
    await Promise.all(sends);
    const rate = config.rate ?? 0;
    const aheadMs =
      ((at + UDP_WINDOW) * linesPerPacket * 1000) / rate - (performance.now() - started);
    if (rate > 0 && aheadMs > 1) await sleep(aheadMs);
  }
  await new Promise<void>((resolve) => socket.close(() => resolve()));
}

async function body(state: State, config: GatewayStatsdConfig): Promise<GatewayStatsdResult> {
  const cpuStart = process.cpuUsage();
  const firstSendMs = epochMs();
  if (config.transport === 'tcp') await sendTcp(state, config);
  else await sendUdp(state, config);
  const lastSendMs = epochMs();
  const cpuSeconds = ownCpuSecondsSince(cpuStart);
  return {
    lane: config.lane,
    lines: state.lines,
    bytes: state.bytes,
    sends: state.chunks.length,
    firstSendMs,
    lastSendMs,
    cpuSeconds,
  };
}

childMain(setup, body);
