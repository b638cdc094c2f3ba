import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** Repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const run = promisify(execFile);

/**
 * Runs `npm run build` when any compiled output the e2e processes run (dist/src, dist/workers)
 * is missing or older than its source. End-to-end suites spawn `node bin/countd.js`, which runs
 * dist/: testing a stale build would test old code. Suites run in parallel, so a lock directory
 * makes one build while the others wait, and each re-checks once it holds the lock.
 */
export async function ensureBuilt(): Promise<void> {
  if (staleOutputs().length === 0) return;
  const lock = join(tmpdir(), `countd-e2e-build-${hash(ROOT)}.lock`);
  await acquire(lock);
  try {
    const stale = staleOutputs();
    if (stale.length === 0) return;
    try {
      await run('npm', ['run', 'build'], { cwd: ROOT, maxBuffer: 16 << 20 });
    } catch (err) {
      // tsc still emits on type errors (someone else's work in progress, say): copy the Lua
      // scripts and page files that `&&` skipped and go on if every output is now fresh; fail
      // otherwise.
      await run(process.execPath, ['scripts/copy-assets.mjs'], { cwd: ROOT });
      const still = staleOutputs();
      const output = (err as { stdout?: string }).stdout ?? String(err);
      if (still.length > 0) {
        throw new Error(`npm run build failed and left ${still.join(', ')} stale:\n${output}`, {
          cause: err,
        });
      }
      process.stderr.write(`e2e: npm run build reported errors, outputs are fresh:\n${output}\n`);
    }
  } finally {
    rmdirSync(lock);
  }
}

/** Sources under src/ and workers/ whose compiled file is missing or older. */
function staleOutputs(): string[] {
  const stale: string[] = [];
  for (const dir of ['src', 'workers']) {
    for (const source of walk(join(ROOT, dir))) {
      const rel = relative(ROOT, source);
      let output: string;
      if (rel.endsWith('.ts') && !rel.endsWith('.d.ts'))
        output = join(ROOT, 'dist', rel.replace(/\.ts$/, '.js'));
      else if (rel.endsWith('.lua') || rel.startsWith('workers/ui/page/'))
        output = join(ROOT, 'dist', rel);
      else continue;
      if (mtime(output) < mtime(source)) stale.push(rel);
    }
  }
  return stale;
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

async function acquire(lock: string): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    // A lock older than any build is left by a killed run.
    if (Date.now() - mtime(lock) > 120_000) {
      rmdirSync(lock);
      continue;
    }
    if (Date.now() > deadline) throw new Error(`e2e: waited 180 s for the build lock ${lock}`);
    await sleep(250);
  }
}

function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16);
}
