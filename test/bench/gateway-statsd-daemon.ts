import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reapOnExit } from '../../workers/local-stack/redis/child-reaper.js';
import { withParentDeathSignal } from '../../workers/local-stack/redis/parent-death-signal.js';

/** The `statsd` npm daemon (devDependency) of this checkout (build/test/bench → node_modules). */
export const STATSD_DAEMON = fileURLToPath(
  new URL('../../../node_modules/statsd/stats.js', import.meta.url),
);

async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

/**
 * `node node_modules/statsd/stats.js config.js`: UDP on a free loopback port, no backend (a
 * blackhole: nothing is forwarded), a 1 h flush interval so nothing is flushed during a run.
 * What it took in is read from its management console (`counters`), which holds every counter
 * and its own `statsd.metrics_received` (lines) and `statsd.packets_received`.
 */
export class StatsdDaemon {
  private constructor(
    private readonly child: ChildProcess,
    readonly udpPort: number,
    private readonly mgmtPort: number,
  ) {}

  /** Undefined, with the reason, where the daemon cannot run. */
  static unavailable(): string | undefined {
    return existsSync(STATSD_DAEMON) ? undefined : `${STATSD_DAEMON} not found (npm install)`;
  }

  static async start(dir: string): Promise<StatsdDaemon> {
    const udpPort = await freeUdpPort();
    const mgmtPort = await freeTcpPort();
    const config = join(dir, 'statsd-config.js');
    // statsd reads its config with eval: an object literal.
    writeFileSync(
      config,
      `{ address: "127.0.0.1", port: ${udpPort}, mgmt_address: "127.0.0.1", ` +
        `mgmt_port: ${mgmtPort}, flushInterval: 3600000, backends: [] }\n`,
    );
    const { command, args } = withParentDeathSignal(process.execPath, [STATSD_DAEMON, config]);
    const child = spawn(command, args, { stdio: 'ignore' });
    reapOnExit(child);
    const daemon = new StatsdDaemon(child, udpPort, mgmtPort);
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        await daemon.counters();
        return daemon;
      } catch (err) {
        if (Date.now() > deadline || child.exitCode !== null) {
          daemon.kill();
          throw new Error(`statsd daemon did not start: ${String(err)}`, { cause: err });
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Every counter the daemon holds, from the `counters` command of its console. */
  counters(): Promise<Map<string, number>> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.mgmtPort, '127.0.0.1', () => socket.write('counters\n'));
      socket.setTimeout(30_000, () => socket.destroy(new Error('statsd console timed out')));
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (!text.includes('\nEND\n')) return;
        socket.end();
        // util.inspect of an object: `  'page.1.views': 12,` per line.
        const counters = new Map<string, number>();
        for (const m of text.matchAll(/^\s*'?([^':\n]+)'?: (-?[0-9.e+-]+),?$/gm))
          counters.set(m[1]!, Number(m[2]));
        resolve(counters);
      });
      socket.on('error', reject);
    });
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
