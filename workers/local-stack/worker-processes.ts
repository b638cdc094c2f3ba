import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { Redactor } from '../process/redactor.js';
import { WorkerStartError } from './worker-start-error.js';

/** The `countd` launcher next to this build (dist/workers/local-stack → bin/countd.js). */
export function countdBin(): string {
  for (const candidate of ['../../../bin/countd.js', '../../bin/countd.js']) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error('bin/countd.js not found next to this build');
}

/** One `countd worker` child process; its pino log goes to `<dataDir>/worker-<i>.log`. */
export interface WorkerProcess {
  readonly index: number;
  readonly pid: number | undefined;
  /** `http://host:port/metrics` once the worker said it started. */
  readonly metricsUrl: string | undefined;
  readonly exited: Promise<number | null>;
}

/**
 * Runs `count` workers as child processes (crash isolation, and each is a real `countd worker`
 * as in production). A worker that exits unexpectedly is restarted after a pause.
 */
export class WorkerProcesses {
  private readonly procs: Array<{
    child: ChildProcess;
    metricsUrl?: string;
    exited: Promise<number | null>;
  }> = [];
  private stopping = false;
  private starting = false;

  constructor(
    private readonly env: Record<string, string | undefined>,
    private readonly dataDir: string,
    private readonly onEvent: (message: string) => void,
    /** Applied to every line of a worker's stderr: its own logger redacts, its crash may not. */
    private readonly redactor: Redactor = new Redactor([]),
  ) {}

  /**
   * Starts the workers and resolves when each has logged "worker started". Throws a
   * {@link WorkerStartError} if one exited first, or the error of a log that cannot be opened:
   * the caller then calls {@link stop} for those already running.
   */
  async start(count: number, firstMetricsPort: number): Promise<void> {
    this.starting = true;
    try {
      const ready: Promise<void>[] = [];
      for (let i = 0; i < count; i++)
        ready.push(this.spawnWorker(i, i === 0 ? firstMetricsPort : 0));
      await Promise.all(ready);
    } finally {
      this.starting = false;
    }
    for (const [index, p] of this.procs.entries()) {
      if (p.metricsUrl === undefined)
        throw new WorkerStartError(index, await p.exited, this.logPath(index));
    }
  }

  metricsUrls(): string[] {
    return this.procs.flatMap((p) => (p.metricsUrl === undefined ? [] : [p.metricsUrl]));
  }

  pids(): number[] {
    return this.procs.flatMap((p) => (p.child.pid === undefined ? [] : [p.child.pid]));
  }

  /** SIGTERM to every worker (they drain), then waits for all to exit; returns their exit codes. */
  async stop(): Promise<Array<number | null>> {
    this.stopping = true;
    for (const p of this.procs) p.child.kill('SIGTERM');
    return Promise.all(this.procs.map((p) => p.exited));
  }

  private logPath(index: number): string {
    return join(this.dataDir, `worker-${index}.log`);
  }

  private spawnWorker(index: number, metricsPort: number): Promise<void> {
    // Opened before the spawn, synchronously: a log that cannot be written stops the start-up
    // here, with no child to clean up, instead of as an unhandled 'error' event later.
    const logPath = this.logPath(index);
    const log = createWriteStream(logPath, { fd: openSync(logPath, 'a') });
    let logFailed = false;
    log.on('error', (err) => {
      if (logFailed) return;
      logFailed = true;
      this.onEvent(`worker ${index}: cannot write its log ${logPath}: ${err.message}`);
    });
    const child = spawn(process.execPath, [countdBin(), 'worker'], {
      env: { ...this.env, COUNTD_METRICS_PORT: String(metricsPort) },
      // Own process group: a Ctrl-C in the terminal reaches `up` only, which then drains the
      // workers in order (SIGTERM) before stopping Redis. The IPC channel lets a worker notice
      // that `up` died without asking and drain on its own.
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    child.channel?.unref();
    const exited = new Promise<number | null>((resolve) => {
      child.once('exit', (code) => resolve(code));
      // spawn() failed (EAGAIN, ENOMEM, ...): there is no process and no 'exit' will follow.
      child.once('error', (err) => {
        this.onEvent(`worker ${index}: cannot start: ${err.message}`);
        resolve(null);
      });
    });
    const entry: { child: ChildProcess; metricsUrl?: string; exited: Promise<number | null> } = {
      child,
      exited,
    };
    this.procs[index] = entry;
    let announced = false;
    const ready = new Promise<void>((resolve) => {
      createInterface({ input: child.stderr! }).on('line', (raw) => {
        const line = this.redactor.redact(raw);
        if (!logFailed) log.write(`${line}\n`);
        if (announced) return;
        try {
          const record = JSON.parse(line) as { msg?: string; metrics?: string; level?: number };
          if (record.msg === 'worker started' && typeof record.metrics === 'string') {
            entry.metricsUrl = record.metrics;
            announced = true;
            resolve();
          } else if ((record.level ?? 0) >= 60) {
            this.onEvent(`worker ${index}: ${record.msg ?? line}`);
          }
        } catch {
          // not a log record
        }
      });
      void exited.then(() => resolve());
    });
    void exited.then((code) => {
      log.end();
      // During start() the failure is start()'s to report, and nothing is restarted.
      if (this.stopping || (this.starting && !announced)) return;
      // Exit code 2 is a bad configuration: restarting would fail the same way.
      const next = code === 2 ? 'not restarted' : 'restarting in 1 s';
      this.onEvent(`worker ${index} exited with code ${String(code)}; ${next} (log: ${logPath})`);
      if (code === 2) return;
      setTimeout(() => {
        if (!this.stopping) void this.spawnWorker(index, 0);
      }, 1000).unref();
    });
    return ready;
  }
}
