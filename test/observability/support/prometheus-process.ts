import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { reapOnExit } from '../../../workers/local-stack/redis/child-reaper.js';
import { findExecutable } from '../../../workers/local-stack/redis/find-executable.js';
import { findFreePort } from '../../../workers/local-stack/redis/free-port.js';
import { withParentDeathSignal } from '../../../workers/local-stack/redis/parent-death-signal.js';

const HOST = '127.0.0.1';
const TAIL_LINES = 200;
const PORT_ATTEMPTS = 3;

/** One scrape job: `host:port` targets serving `/metrics`. */
export interface ScrapeJob {
  readonly name: string;
  readonly targets: readonly string[];
}

/** Options of {@link PrometheusProcess.start}. */
export interface PrometheusProcessOptions {
  /** Path of the `prometheus` binary ({@link findPrometheus}). */
  readonly binary: string;
  readonly jobs: readonly ScrapeJob[];
  /** Absolute paths of rule files to load. */
  readonly ruleFiles?: readonly string[];
  /** Scrape and rule evaluation interval. @defaultValue `1` */
  readonly intervalSeconds?: number;
  /** How long to wait for /-/ready. @defaultValue `30_000` */
  readonly readyTimeoutMs?: number;
}

/**
 * The `prometheus` binary: `PROMETHEUS_BIN` if set, else `prometheus` on `PATH`; undefined when
 * neither is an executable file.
 */
export function findPrometheus(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  return findExecutable(env.PROMETHEUS_BIN ?? 'prometheus', env.PATH ?? '');
}

/**
 * A real Prometheus server for a test: its own config and TSDB in a temp dir, on a free
 * loopback port, stopped by its own pid (SIGTERM, then SIGKILL). Like the test Redis servers,
 * it gets a parent-death signal and an exit hook, so it never outlives the test process.
 */
export class PrometheusProcess {
  private readonly tail: string[] = [];
  private readonly exited: Promise<void>;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private stopping: Promise<void> | undefined;

  private constructor(
    /** `http://127.0.0.1:PORT`. */
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve();
      });
    });
    createInterface({ input: child.stderr! }).on('line', (line) => this.keep(line));
    createInterface({ input: child.stdout! }).on('line', (line) => this.keep(line));
  }

  /**
   * Writes the config, starts Prometheus and resolves once /-/ready answers 200. A port taken
   * between choosing and binding it is retried with another; any other failure rejects with
   * the server's last log lines, after stopping it and removing its directory.
   */
  static async start(options: PrometheusProcessOptions): Promise<PrometheusProcess> {
    for (let attempt = 1; ; attempt++) {
      const dir = mkdtempSync(join(tmpdir(), `countd-prometheus-${process.pid}-`));
      const prometheus = PrometheusProcess.spawn(options, dir, await findFreePort(HOST));
      try {
        await prometheus.waitReady(options.readyTimeoutMs ?? 30_000);
        return prometheus;
      } catch (err) {
        await prometheus.stop();
        const portTaken = /address already in use/i.test(prometheus.logTail());
        if (!portTaken || attempt >= PORT_ATTEMPTS) throw err;
      }
    }
  }

  private static spawn(
    options: PrometheusProcessOptions,
    dir: string,
    port: number,
  ): PrometheusProcess {
    const interval = `${options.intervalSeconds ?? 1}s`;
    const config = {
      global: {
        scrape_interval: interval,
        // Must not exceed the interval; /metrics of a worker answers in milliseconds.
        scrape_timeout: interval,
        evaluation_interval: interval,
      },
      rule_files: [...(options.ruleFiles ?? [])],
      scrape_configs: options.jobs.map((job) => ({
        job_name: job.name,
        static_configs: [{ targets: [...job.targets] }],
      })),
    };
    const configFile = join(dir, 'prometheus.yml');
    writeFileSync(configFile, stringify(config));
    const { command, args } = withParentDeathSignal(options.binary, [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=${HOST}:${port}`,
    ]);
    const child = spawn(command, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    reapOnExit(child);
    return new PrometheusProcess(`http://${HOST}:${port}`, child, dir);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The last lines Prometheus logged, for failure messages. */
  logTail(lines = 40): string {
    return this.tail
      .slice(-lines)
      .map((line) => `  [prometheus] ${line}`)
      .join('\n');
  }

  /** SIGTERM, SIGKILL after 10 s, then removes the config and TSDB. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.exit === undefined && this.child.pid !== undefined) {
        this.child.kill('SIGTERM');
        const stopped = await Promise.race([
          this.exited.then(() => true),
          sleep(10_000).then(() => false),
        ]);
        if (!stopped) {
          this.child.kill('SIGKILL');
          await this.exited;
        }
      }
      rmSync(this.dir, { recursive: true, force: true });
    })();
    return this.stopping;
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (this.exit !== undefined) {
        throw new Error(
          `prometheus exited (code ${this.exit.code}, signal ${this.exit.signal}) before it was ready:\n${this.logTail()}`,
        );
      }
      const ready = await fetch(`${this.url}/-/ready`, { signal: AbortSignal.timeout(1000) })
        .then((r) => r.ok)
        .catch(() => false);
      if (ready) return;
      if (performance.now() > deadline) {
        throw new Error(`prometheus not ready within ${timeoutMs} ms:\n${this.logTail()}`);
      }
      await sleep(200);
    }
  }

  private keep(line: string): void {
    this.tail.push(line);
    if (this.tail.length > TAIL_LINES) this.tail.splice(0, this.tail.length - TAIL_LINES);
  }
}
