import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { reapOnExit } from '../../../workers/local-stack/redis/child-reaper.js';
import { withParentDeathSignal } from '../../../workers/local-stack/redis/parent-death-signal.js';
import { ROOT } from '../build-once.js';

/** How a worker process ended. */
export interface WorkerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** performance.now() when it exited. */
  readonly at: number;
}

/** One pino line of the worker's stderr. */
export type LogLine = Record<string, unknown> & { msg?: string };

const TAIL_LINES = 300;

/** This repository's launcher: what {@link WorkerProcess.start} runs unless told otherwise. */
export const COUNTD_BIN = join(ROOT, 'bin/countd.js');

/** Options of {@link WorkerProcess.start}. */
export interface WorkerStartOptions {
  /** @defaultValue `30_000` */
  readonly timeoutMs?: number;
  /**
   * The `bin/countd.js` to run, e.g. a released package's, for workers of another version; it
   * runs in the folder above its `bin/`. @defaultValue {@link COUNTD_BIN}
   */
  readonly bin?: string;
}

/**
 * A `node bin/countd.js worker` child process (this repository's, or another version's):
 * started with an explicit environment, ready once it logs "worker started" (which also gives
 * the URL of its /metrics), killed by its own pid. Its stderr is kept (the last lines) so that
 * a failing test can show what the worker said.
 */
export class WorkerProcess {
  readonly exited: Promise<WorkerExit>;
  /** Every message the worker logged, with how many times. */
  readonly messages = new Map<string, number>();
  metricsUrl: string | undefined;
  private readonly tail: string[] = [];
  private exit: WorkerExit | undefined;
  private readonly listeners = new Set<(line: LogLine) => void>();

  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal, at: performance.now() };
        resolve(this.exit);
      });
    });
    createInterface({ input: child.stderr! }).on('line', (text) => this.onLine(text));
    createInterface({ input: child.stdout! }).on('line', (text) => this.keep(`[stdout] ${text}`));
  }

  /** Spawns a worker and resolves once it has started, or rejects with its stderr. */
  static async start(
    label: string,
    env: Readonly<Record<string, string>>,
    options: WorkerStartOptions = {},
  ): Promise<WorkerProcess> {
    const { timeoutMs = 30_000, bin = COUNTD_BIN } = options;
    const { command, args } = withParentDeathSignal(process.execPath, [bin, 'worker']);
    const child = spawn(command, args, {
      cwd: dirname(dirname(bin)),
      env: { ...inheritedEnv(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    reapOnExit(child);
    const worker = new WorkerProcess(label, child);
    const started = worker.waitFor((line) => line.msg === 'worker started', timeoutMs);
    const outcome = await Promise.race([
      started.then((line) => ({ line })),
      worker.exited.then((exit) => ({ exit })),
    ]).catch(async (err: unknown) => {
      await worker.kill(); // not started in time: do not leave it running
      throw err;
    });
    if ('exit' in outcome) {
      throw new Error(
        `worker ${label} exited (code ${outcome.exit.code}, signal ${outcome.exit.signal}) before it started:\n${worker.stderrTail()}`,
      );
    }
    const metrics = outcome.line.metrics;
    worker.metricsUrl = typeof metrics === 'string' ? metrics : undefined;
    return worker;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  /** Resolves with the first line (from now on) that `match` accepts. */
  waitFor(match: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(
          new Error(
            `worker ${this.label}: no matching log line within ${timeoutMs} ms:\n${this.stderrTail()}`,
          ),
        );
      }, timeoutMs);
      timer.unref();
      const listener = (line: LogLine) => {
        if (!match(line)) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(line);
      };
      this.listeners.add(listener);
    });
  }

  /** Sends `signal` to this worker's pid (only this process, never a group). */
  signal(signal: NodeJS.Signals): void {
    if (this.exit === undefined) process.kill(this.pid, signal);
  }

  /**
   * SIGSTOP: the process freezes (timers, lock renewals, sockets) as in a long GC pause or a
   * frozen VM, until {@link cont}. Its TCP connections stay open.
   */
  stop(): void {
    this.signal('SIGSTOP');
  }

  /** SIGCONT after {@link stop}: overdue timers fire at once, held sockets are read. */
  cont(): void {
    this.signal('SIGCONT');
  }

  /** SIGKILL and wait for the exit. */
  async kill(): Promise<WorkerExit> {
    this.signal('SIGKILL');
    return this.exited;
  }

  /** Resident set size from /proc, in bytes; undefined once it has exited. */
  rssBytes(): number | undefined {
    if (this.exit !== undefined) return undefined;
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
      return kb === undefined ? undefined : Number(kb) * 1024;
    } catch {
      return undefined;
    }
  }

  /** The Prometheus text of its /metrics. */
  async metrics(): Promise<string> {
    if (this.metricsUrl === undefined) throw new Error(`worker ${this.label}: no metrics URL`);
    const response = await fetch(this.metricsUrl, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new Error(`worker ${this.label}: /metrics answered ${response.status}`);
    return response.text();
  }

  /** The last lines of stderr, for failure messages. */
  stderrTail(lines = 60): string {
    return this.tail
      .slice(-lines)
      .map((line) => `  [${this.label}] ${line}`)
      .join('\n');
  }

  private onLine(text: string): void {
    this.keep(text);
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      return;
    }
    if (typeof line.msg === 'string')
      this.messages.set(line.msg, (this.messages.get(line.msg) ?? 0) + 1);
    for (const listener of [...this.listeners]) listener(line);
  }

  private keep(text: string): void {
    this.tail.push(text);
    if (this.tail.length > TAIL_LINES) this.tail.splice(0, this.tail.length - TAIL_LINES);
  }
}

/** The test's environment without COUNTD_* settings: each worker gets exactly the ones given. */
function inheritedEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith('COUNTD_')) out[name] = value;
  }
  return out;
}
