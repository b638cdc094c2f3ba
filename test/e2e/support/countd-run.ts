import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../build-once.js';

/** This repository's launcher. */
export const COUNTD_CLI = join(ROOT, 'bin/countd.js');

/** How a `node bin/countd.js ...` process ended, with everything it printed. */
export interface CountdRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
  /** stdout and stderr as text, for greps and messages. */
  readonly output: string;
}

export interface CountdRunOptions {
  /** The whole environment of the process: nothing is inherited. */
  readonly env: Record<string, string>;
  /** Written to its stdin, then closed. @defaultValue nothing */
  readonly stdin?: Uint8Array;
  /** Killed with SIGKILL after this long. @defaultValue `30_000` */
  readonly timeoutMs?: number;
  /** Sent SIGTERM after this long (a long-running command, stopped as an operator would). */
  readonly stopAfterMs?: number;
}

/**
 * Runs the real CLI as a process. Arguments may be Buffers, so a test can hand it bytes that
 * are not valid UTF-8, as a shell would.
 */
export function runCountd(
  args: ReadonlyArray<string | Buffer>,
  options: CountdRunOptions,
): Promise<CountdRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', execScript(args), process.execPath, COUNTD_CLI], {
      cwd: ROOT,
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.stdin.on('error', () => undefined); // it may exit before reading all of stdin
    child.stdin.end(options.stdin ?? Buffer.alloc(0));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    const stop =
      options.stopAfterMs === undefined
        ? undefined
        : setTimeout(() => child.kill('SIGTERM'), options.stopAfterMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(stop);
      const stdout = Buffer.concat(out);
      const stderr = Buffer.concat(err);
      resolve({ code, signal, stdout, stderr, output: `${stdout.toString()}${stderr.toString()}` });
    });
  });
}

/**
 * spawn() encodes arguments as UTF-8, so bytes that are not valid UTF-8 cannot be given to it:
 * the shell builds each argument from octal escapes instead, then execs node with them.
 */
function execScript(args: ReadonlyArray<string | Buffer>): string {
  const quoted = args.map((arg) => {
    const bytes = typeof arg === 'string' ? Buffer.from(arg, 'utf8') : arg;
    const octal = [...bytes].map((b) => `\\${b.toString(8).padStart(3, '0')}`).join('');
    return `"$(printf '${octal}')"`;
  });
  return `exec "$0" "$1" ${quoted.join(' ')}`;
}

/**
 * Pids of live processes whose environment holds `NAME=value`: every descendant of a process
 * started with a unique marker variable, including those whose parent is gone.
 */
export function processesWithEnv(name: string, value: string): number[] {
  const wanted = `${name}=${value}`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') continue;
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(wanted))
        pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}
