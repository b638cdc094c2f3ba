/**
 * The package as a user gets it: `npm pack` of the repository, installed into a fresh
 * project, where examples are compiled against the installed .d.ts and run with node.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { builtinModules } from 'node:module';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { ROOT, ensureBuilt } from '../e2e/build-once.js';

const run = promisify(execFile);

/** What `npm pack --json` reports of the tarball. */
export interface PackedTarball {
  readonly path: string;
  readonly size: number;
  readonly unpackedSize: number;
  readonly files: readonly string[];
}

/**
 * Packs the repository into `dir`. The build is shared with the e2e suites (`ensureBuilt`,
 * which waits for a build another suite runs), so the pack skips `prepare`: a second build
 * writing dist/ while other suites run it would race them.
 */
export async function packRepository(dir: string): Promise<PackedTarball> {
  await ensureBuilt();
  const { stdout } = await run(
    'npm',
    ['pack', '--ignore-scripts', '--json', '--pack-destination', dir],
    { cwd: ROOT, timeout: 60_000, maxBuffer: 16 << 20 },
  );
  const [report] = JSON.parse(stdout) as Array<{
    filename: string;
    size: number;
    unpackedSize: number;
    files: Array<{ path: string }>;
  }>;
  if (report === undefined) throw new Error(`npm pack printed no report: ${stdout}`);
  return {
    path: join(dir, report.filename),
    size: report.size,
    unpackedSize: report.unpackedSize,
    files: report.files.map((f) => f.path),
  };
}

/** A fresh ESM project in `dir` with the tarball installed from the registry as a user would. */
export async function installProject(dir: string, tarball: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const pkg = { name: 'countd-examples', version: '1.0.0', private: true, type: 'module' };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], {
    cwd: dir,
    timeout: 180_000,
    maxBuffer: 16 << 20,
  });
}

/** One example as a file of the project. */
export interface ExampleFile {
  /** Where it came from, e.g. `README.md:48`. */
  readonly id: string;
  /** File name under `examples/`, `.ts` or `.js`. */
  readonly file: string;
  readonly code: string;
}

/**
 * Writes the examples under `examples/` and compiles them to `out/` with the repository's
 * TypeScript, as strict as the repository, against the installed package's declarations.
 * Returns the compiler's diagnostics per example id (none: every example type-checks).
 */
export async function compileExamples(
  dir: string,
  examples: readonly ExampleFile[],
): Promise<Map<string, string[]>> {
  mkdirSync(join(dir, 'examples'), { recursive: true });
  for (const example of examples) writeFileSync(join(dir, 'examples', example.file), example.code);
  const tsconfig = {
    compilerOptions: {
      target: 'ES2023',
      lib: ['ES2023'],
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noUncheckedIndexedAccess: true,
      allowJs: true,
      // Checking bullmq's and ioredis's declarations triples the time and tests nothing of
      // countd; countd's own imports are checked by undeclaredImports instead.
      skipLibCheck: true,
      rootDir: 'examples',
      outDir: 'out',
      // @types/node from the repository: the examples need nothing else installed.
      typeRoots: [join(ROOT, 'node_modules/@types')],
      types: ['node'],
    },
    include: ['examples'],
  };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  const output = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], {
    cwd: dir,
    timeout: 120_000,
    maxBuffer: 16 << 20,
  }).then(
    () => '',
    (err: { stdout?: string; stderr?: string }) => `${err.stdout ?? ''}${err.stderr ?? ''}`,
  );
  const problems = new Map<string, string[]>();
  for (const line of output.split('\n').filter((l) => l.trim() !== '')) {
    const example = examples.find((e) => line.startsWith(`examples/${e.file}`));
    const id = example?.id ?? 'tsc';
    problems.set(id, [...(problems.get(id) ?? []), line]);
  }
  return problems;
}

/** How a run of an example ended. */
export interface ExampleRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A compiled example running with node in the project; `done` settles when it exits. */
export function startExample(
  dir: string,
  example: ExampleFile,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): { child: ChildProcess; done: Promise<ExampleRun> } {
  const compiled = join('out', example.file.replace(/\.ts$/, '.js'));
  const child = spawn(process.execPath, [compiled], { cwd: dir, env, stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => {
    stderr += `\n[test] killed after ${timeoutMs} ms`;
    child.kill('SIGKILL');
  }, timeoutMs);
  const done = new Promise<ExampleRun>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done };
}

/** Throws with the example's origin, code and output unless it exited 0. */
export function assertExited0(example: ExampleFile, result: ExampleRun): void {
  if (result.code === 0) return;
  const how = result.signal === null ? `exit code ${result.code}` : `signal ${result.signal}`;
  throw new Error(
    `example ${example.id} failed (${how})\n--- stderr\n${result.stderr}\n--- stdout\n` +
      `${result.stdout}\n--- example\n${example.code}`,
  );
}

/**
 * Packages the installed countd's compiled code and declarations import without declaring them
 * as dependencies (a devDependency, say): fine in the repository, broken for a user.
 */
export function undeclaredImports(project: string): string[] {
  const root = join(project, 'node_modules/countd');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...builtinModules]);
  const found: string[] = [];
  for (const file of readdirSync(join(root, 'dist'), { recursive: true, encoding: 'utf8' })) {
    if (!/\.(js|d\.ts)$/.test(file)) continue;
    const code = readFileSync(join(root, 'dist', file), 'utf8');
    // The compiler's own scan: import/export-from, import(), require(), import types, and
    // nothing that only looks like one inside a string.
    const { importedFiles } = ts.preProcessFile(code, true, true);
    for (const { fileName: spec } of importedFiles) {
      if (spec.startsWith('.') || spec.startsWith('node:')) continue;
      const name = spec.startsWith('@')
        ? spec.split('/').slice(0, 2).join('/')
        : spec.split('/')[0]!;
      if (!declared.has(name)) found.push(`dist/${file}: '${spec}'`);
    }
  }
  return found;
}
