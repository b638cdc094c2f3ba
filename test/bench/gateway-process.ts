import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { reapOnExit } from '../../workers/local-stack/redis/child-reaper.js';
import { withParentDeathSignal } from '../../workers/local-stack/redis/parent-death-signal.js';
import { scrape, type Sample } from './metrics-scrape.js';

/** `bin/countd.js` of this checkout (build/test/bench → bin). */
const COUNTD_BIN = fileURLToPath(new URL('../../../bin/countd.js', import.meta.url));

/**
 * One `countd gateway` process of the bench (HTTP and StatsD on free loopback ports, picked by
 * the gateway itself from port 0 and read from its "gateway started" line). Its log goes to
 * `gateway.log` in the scratch directory; it dies with the bench (parent-death signal, exit hook).
 */
export class GatewayProcess {
  private constructor(
    private readonly child: ChildProcess,
    private readonly exited: Promise<number | null>,
    readonly httpUrl: string,
    readonly statsdPort: number,
    readonly metricsUrl: string,
  ) {}

  static async start(
    env: Readonly<Record<string, string>>,
    logDir: string,
    execArgv: readonly string[] = [],
  ): Promise<GatewayProcess> {
    const { command, args } = withParentDeathSignal(process.execPath, [
      ...execArgv,
      COUNTD_BIN,
      'gateway',
    ]);
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('COUNTD_')),
    );
    const child = spawn(command, args, {
      env: {
        ...inherited,
        COUNTD_GATEWAY_PORT: '0',
        COUNTD_STATSD_PORT: '0',
        COUNTD_METRICS_PORT: '0',
        COUNTD_LOG_LEVEL: 'info',
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    reapOnExit(child);
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    const log = createWriteStream(join(logDir, 'gateway.log'), { flags: 'a' });
    const started = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('gateway did not start in 30 s')), 30_000);
      createInterface({ input: child.stderr! }).on('line', (text) => {
        log.write(`${text}\n`);
        if (!text.includes('"gateway started"')) return;
        clearTimeout(timer);
        resolve(JSON.parse(text) as Record<string, unknown>);
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`gateway exited (${code}) before starting; see ${logDir}/gateway.log`));
      });
    }).catch((err: unknown) => {
      child.kill('SIGKILL');
      throw err;
    });
    return new GatewayProcess(
      child,
      exited,
      String(started.http),
      Number(String(started.statsd).split(':').pop()),
      String(started.metrics),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  scrape(): Promise<Sample[]> {
    return scrape([this.metricsUrl]);
  }

  /** SIGTERM (the gateway drains) and wait; SIGKILL past `timeoutMs`. Returns the exit code. */
  async stop(timeoutMs = 30_000): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
