import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { reapOnExit } from '../../../workers/local-stack/redis/child-reaper.js';
import { withParentDeathSignal } from '../../../workers/local-stack/redis/parent-death-signal.js';
import type { LoadSummary } from '../../../workers/cli/commands/load.js';
import { ROOT } from '../build-once.js';

/** What a `countd load --json` child process did. */
export interface LoadRun {
  readonly code: number | null;
  readonly summary: LoadSummary | undefined;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

/**
 * Runs `node bin/countd.js load <args> --json` with `env` (COUNTD_* only from `env`) and
 * SIGKILLs it past `timeoutMs`.
 */
export async function runLoadCli(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  timeoutMs: number,
): Promise<LoadRun> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('COUNTD_')),
  );
  const { command, args: argv } = withParentDeathSignal(process.execPath, [
    join(ROOT, 'bin/countd.js'),
    'load',
    ...args,
    '--json',
  ]);
  const started = performance.now();
  const child = spawn(command, argv, {
    cwd: ROOT,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  reapOnExit(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  let summary: LoadSummary | undefined;
  try {
    summary = JSON.parse(stdout) as LoadSummary;
  } catch {
    summary = undefined;
  }
  return { code, summary, stdout, stderr, seconds: (performance.now() - started) / 1000 };
}
