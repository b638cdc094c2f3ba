import { spawn, type ChildProcess } from 'node:child_process';
import { reapOnExit } from '../../../workers/local-stack/redis/child-reaper.js';
import { withParentDeathSignal } from '../../../workers/local-stack/redis/parent-death-signal.js';
import { ROOT } from '../build-once.js';
import { COUNTD_CLI } from './countd-run.js';

/** How a {@link CountdProcess} ended. */
export interface CountdProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

/**
 * A `node bin/countd.js <args>` child process a test acts on while it runs (a ring change it
 * SIGKILLs half-way, a load it stops with SIGTERM): its pid, its output so far, and its exit.
 * Where {@link runCountd} only gives the outcome, this gives a handle. COUNTD_* settings come
 * only from `env`; the rest of the test's environment is inherited. SIGKILLed past `timeoutMs`,
 * and by the harness's exit hook if the test process ends first.
 */
export class CountdProcess {
  readonly exited: Promise<CountdProcessExit>;
  private out = '';
  private err = '';
  private readonly started = performance.now();
  private ended = false;
  private readonly lineListeners = new Set<(line: string) => void>();
  private partial = '';

  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
    timeoutMs: number,
  ) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.out += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => this.onStderr(chunk));
    const timer = setTimeout(() => this.signal('SIGKILL'), timeoutMs);
    timer.unref();
    this.exited = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        this.ended = true;
        clearTimeout(timer);
        resolve({
          code,
          signal,
          stdout: this.out,
          stderr: this.err,
          seconds: (performance.now() - this.started) / 1000,
        });
      });
    });
  }

  /** Spawns `countd <args>`; the promise of its exit is {@link exited}. */
  static start(
    label: string,
    args: readonly string[],
    env: Readonly<Record<string, string>>,
    timeoutMs = 120_000,
  ): CountdProcess {
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(
        (entry): entry is [string, string] =>
          entry[1] !== undefined && !entry[0].startsWith('COUNTD_'),
      ),
    );
    const { command, args: argv } = withParentDeathSignal(process.execPath, [COUNTD_CLI, ...args]);
    const child = spawn(command, argv, {
      cwd: ROOT,
      env: { ...inherited, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    reapOnExit(child);
    return new CountdProcess(label, child, timeoutMs);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return !this.ended;
  }

  /** What it printed so far. */
  get output(): string {
    return `${this.out}${this.err}`;
  }

  /** Calls `listener` with every complete stderr line from now on. */
  onLine(listener: (line: string) => void): void {
    this.lineListeners.add(listener);
  }

  /** Sends `signal` to this process's pid only, if it still runs. */
  signal(signal: NodeJS.Signals): void {
    if (!this.ended) process.kill(this.pid, signal);
  }

  /** SIGKILL, and its exit. */
  async kill(): Promise<CountdProcessExit> {
    this.signal('SIGKILL');
    return this.exited;
  }

  private onStderr(chunk: string): void {
    this.err += chunk;
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) for (const listener of this.lineListeners) listener(line);
  }
}
