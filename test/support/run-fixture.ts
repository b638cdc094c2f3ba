import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FixtureReport } from './fixtures/fixture-report.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const vitestCli = join(repoRoot, 'node_modules/vitest/vitest.mjs');
const fixturesConfig = fileURLToPath(new URL('./fixtures/vitest.config.ts', import.meta.url));

/** How a child vitest run of one fixture suite ended, and what the suite reported. */
export interface FixtureRun {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
  readonly reports: readonly FixtureReport[];
}

/**
 * Runs `test/support/fixtures/<name>.fixture.ts` in a child vitest (its own processes, as
 * in a real run) with the same backend settings as this one, and collects its reports.
 */
export async function runFixture(name: string, timeoutMs = 60_000): Promise<FixtureRun> {
  const dir = await mkdtemp(join(tmpdir(), 'countd-fixture-'));
  const out = join(dir, 'report.jsonl');
  try {
    // The parent's VITEST_* variables would make the child believe it is a worker.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST')),
    );
    const child = spawn(
      process.execPath,
      [vitestCli, 'run', '--config', fixturesConfig, `${name}.fixture.ts`],
      {
        cwd: repoRoot,
        env: { ...env, COUNTD_FIXTURE_OUT: out },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(
      (resolve) => child.once('close', (code, sig) => resolve([code, sig])),
    );
    clearTimeout(timer);
    const text = await readFile(out, 'utf8').catch(() => '');
    const reports = text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as FixtureReport);
    return { exitCode, signal, output, reports };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
