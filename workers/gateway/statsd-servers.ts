import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { LineSplitter, decodeLines } from '../../src/gateway/index.js';
import type { GatewayMetrics } from '../../src/metrics/index.js';
import { PRODUCER_DEFAULTS } from '../../src/producer/index.js';
import type { StatsdIntake } from './statsd-intake.js';

/** Longest StatsD line: a 512-byte name and its fields fit many times over. */
export const MAX_STATSD_LINE_BYTES = 4096;
/** Concurrent StatsD TCP connections; the next ones are refused by the kernel backlog. */
export const MAX_STATSD_CONNECTIONS = 1024;
/**
 * Past this many unconfirmed increments, TCP connections stop being read until their last batch
 * is confirmed: the kernel then slows the client down, instead of the producer refusing lines.
 */
const HIGH_WATER = PRODUCER_DEFAULTS.maxPendingIncrements / 2;
// A large receive buffer absorbs bursts of UDP packets; the kernel caps it at net.core.rmem_max.
const UDP_RECEIVE_BUFFER = 8 * 1024 * 1024;

/** The StatsD TCP server and UDP socket, on one port. */
export interface StatsdServers {
  readonly port: number;
  /**
   * Stops accepting, lets each TCP client finish what it was sending (up to `graceMs`: it sees
   * the connection end), closes the UDP socket.
   */
  close(graceMs: number): Promise<void>;
}

export async function startStatsdServers(
  intake: StatsdIntake,
  metrics: GatewayMetrics,
  log: Logger,
  host: string,
  port: number,
): Promise<StatsdServers> {
  // Port 0: the TCP server picks a free port and UDP binds the same one (retried if taken).
  for (let attempt = 1; ; attempt++) {
    const tcp = await listenTcp(intake, metrics, host, port);
    const tcpPort = (tcp.server.address() as { port: number }).port;
    try {
      const udp = await bindUdp(intake, metrics, log, host, tcpPort);
      return {
        port: tcpPort,
        close: async (graceMs) => {
          await Promise.all([tcp.close(graceMs), new Promise<void>((r) => udp.close(() => r()))]);
        },
      };
    } catch (err) {
      await tcp.close(0);
      if (port !== 0 || attempt >= 5) throw err;
    }
  }
}

async function listenTcp(
  intake: StatsdIntake,
  metrics: GatewayMetrics,
  host: string,
  port: number,
): Promise<{ server: Server; close(graceMs: number): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    const splitter = new LineSplitter(MAX_STATSD_LINE_BYTES);
    socket.on('data', (chunk: Buffer) => {
      metrics.receivedBytes.inc({ transport: 'tcp' }, chunk.length);
      const { lines, ...unread } = splitter.push(chunk);
      const last = intake.take('tcp', lines, unread);
      if (last !== undefined && intake.pending >= HIGH_WATER) {
        socket.pause();
        const resume = () => socket.resume();
        last.then(resume, resume);
      }
    });
    socket.on('end', () => {
      const { lines, ...unread } = splitter.end();
      intake.take('tcp', lines, unread);
    });
    socket.on('error', () => undefined); // a client gone mid-stream: what it sent is taken
    socket.on('close', () => sockets.delete(socket));
  });
  server.maxConnections = MAX_STATSD_CONNECTIONS;
  server.listen(port, host);
  await once(server, 'listening');
  return {
    server,
    close: async (graceMs) => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.end();
      const timer = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, graceMs);
      await closed;
      clearTimeout(timer);
    },
  };
}

async function bindUdp(
  intake: StatsdIntake,
  metrics: GatewayMetrics,
  log: Logger,
  host: string,
  port: number,
): Promise<UdpSocket> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  socket.on('message', (packet) => {
    metrics.receivedBytes.inc({ transport: 'udp' }, packet.length);
    const { lines, invalidUtf8 } = decodeLines(packet);
    intake.take('udp', lines, { invalidUtf8, tooLong: 0 });
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.removeListener('error', reject);
      resolve();
    });
  });
  socket.on('error', (err) => log.warn({ err }, 'statsd udp socket error'));
  try {
    socket.setRecvBufferSize(UDP_RECEIVE_BUFFER);
  } catch {
    // Kept at the system's default: bursts may be dropped by the kernel sooner.
  }
  return socket;
}
