import { PassThrough, Readable } from 'node:stream';
import type { CommandIo } from '../../../../workers/cli/command.js';
import { main } from '../../../../workers/cli/main.js';

/** What a CLI run printed and returned. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A CLI run still going: its output so far, and a way to stop it as Ctrl-C would. */
export interface RunningCli {
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves once stderr/stdout contain `text`; rejects after `ms`. */
  waitFor(stream: 'stdout' | 'stderr', text: string | RegExp, ms?: number): Promise<void>;
  stop(): void;
  readonly done: Promise<CliRun>;
}

export interface CliOptions {
  readonly env?: Record<string, string>;
  /** Text, or bytes read in exactly these chunks (as a pipe may cut them). */
  readonly stdin?: string | readonly Uint8Array[];
  /** The argv bytes as the OS would give them (see CommandIo.rawArgv). */
  readonly rawArgv?: readonly Uint8Array[];
  /** Pretend stdout is a terminal of this size. */
  readonly tty?: { columns: number; rows: number };
}

/** Runs `countd <argv>` in-process with PassThrough streams, as `bin/countd.js` would. */
export function startCli(argv: readonly string[], options: CliOptions = {}): RunningCli {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin =
    typeof options.stdin === 'object'
      ? Readable.from(options.stdin.map((chunk) => Buffer.from(chunk)))
      : new PassThrough().end(options.stdin ?? '');
  if (options.tty !== undefined) Object.assign(stdout, { isTTY: true, ...options.tty });
  const out: string[] = [];
  const err: string[] = [];
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((l) => l());
  stdout.on('data', (chunk: Buffer) => {
    out.push(chunk.toString('utf8'));
    notify();
  });
  stderr.on('data', (chunk: Buffer) => {
    err.push(chunk.toString('utf8'));
    notify();
  });
  const controller = new AbortController();
  const io: CommandIo = {
    env: options.env ?? {},
    stdout,
    stderr,
    stdin,
    stopSignal: controller.signal,
    ...(options.rawArgv === undefined ? {} : { rawArgv: options.rawArgv }),
  };
  const text = (stream: 'stdout' | 'stderr') => (stream === 'stdout' ? out : err).join('');
  const done = main(argv, io).then(async (code) => {
    await new Promise((resolve) => setImmediate(resolve));
    return { code, stdout: text('stdout'), stderr: text('stderr') };
  });
  return {
    stdout: () => text('stdout'),
    stderr: () => text('stderr'),
    waitFor(stream, wanted, ms = 5000) {
      const found = () =>
        typeof wanted === 'string' ? text(stream).includes(wanted) : wanted.test(text(stream));
      if (found()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no ${String(wanted)} on ${stream} after ${ms} ms: ${text(stream)}`));
        }, ms);
        const check = () => {
          if (!found()) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve();
        };
        listeners.add(check);
      });
    },
    stop: () => controller.abort(),
    done,
  };
}

/** Runs `countd <argv>` to its end. */
export function runCli(argv: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  return startCli(argv, options).done;
}
