import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { reapOnExit } from '../../workers/local-stack/redis/child-reaper.js';
import { withParentDeathSignal } from '../../workers/local-stack/redis/parent-death-signal.js';
import { ROOT } from './build-once.js';
import { COUNTD_BIN, type LogLine } from './support/worker-process.js';

/**
 * A `node bin/countd.js gateway` child process: ready once it logs "gateway started", which
 * gives its HTTP URL, StatsD port and /metrics; its whole stderr is kept (a test checks that no
 * secret is in it). Killed by its own pid.
 */
export class GatewayProcess {
  readonly exited: Promise<number | null>;
  readonly stderr: string[] = [];
  httpUrl = '';
  statsdPort = 0;
  metricsUrl = '';

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static async start(env: Readonly<Record<string, string>>): Promise<GatewayProcess> {
    const { command, args } = withParentDeathSignal(process.execPath, [COUNTD_BIN, 'gateway']);
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('COUNTD_')),
    );
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...inherited, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    reapOnExit(child);
    const gateway = new GatewayProcess(child);
    const started = await new Promise<LogLine | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), 30_000);
      createInterface({ input: child.stderr! }).on('line', (text) => {
        gateway.stderr.push(text);
        try {
          const line = JSON.parse(text) as LogLine;
          if (line.msg === 'gateway started') {
            clearTimeout(timer);
            resolve(line);
          }
        } catch {
          // not a log line
        }
      });
      void gateway.exited.then(() => resolve(undefined));
    });
    if (started === undefined) {
      gateway.kill();
      throw new Error(`gateway did not start:\n${gateway.stderr.join('\n')}`);
    }
    gateway.httpUrl = String(started.http);
    gateway.statsdPort = Number(String(started.statsd).split(':').pop());
    gateway.metricsUrl = String(started.metrics);
    return gateway;
  }

  /** Sum of the samples of a metric whose labels contain every `labels` pair. */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = await (await fetch(this.metricsUrl)).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith(name)) continue;
      const rest = line.slice(name.length);
      if (!(rest.startsWith('{') || rest.startsWith(' '))) continue;
      if (Object.entries(labels).every(([k, v]) => rest.includes(`${k}="${v}"`)))
        sum += Number(line.split(' ').pop());
    }
    return sum;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null)
      process.kill(this.child.pid!, signal);
  }

  kill(): void {
    this.signal('SIGKILL');
  }
}
