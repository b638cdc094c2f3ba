/**
 * Issue 9, "must show": the tarball `npm pack` makes holds no tests or bench, and every ts/js
 * example of the README and docs/reading.md, taken out of the docs here, type-checks against
 * the installed package and runs there against this test's own Redis servers: produce, run a
 * worker, read back, list, watch. The examples read their addresses from COUNTD_QUEUE_URL and
 * COUNTD_NODES; nothing else of them is changed.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { CountdKeys } from '../../src/keys/index.js';
import { ROOT } from '../e2e/build-once.js';
import { codeBlocks, type CodeBlock } from '../docs/code-blocks.js';
import { useRedisServers } from '../support/redis-harness.js';
import {
  assertExited0,
  compileExamples,
  installProject,
  packRepository,
  startExample,
  type ExampleFile,
  type ExampleRun,
  type PackedTarball,
  undeclaredImports,
} from './packed-project.js';

const run = promisify(execFile);
const DOCS = ['README.md', 'docs/reading.md'];
const NODE_IDS = ['a', 'b', 'c'];
const RUN_TIMEOUT_MS = 30_000;

/** What an example does, from what it calls; the run order below follows from it. */
type Role = 'produce' | 'worker' | 'read' | 'watch' | 'write';

interface Example extends ExampleFile {
  readonly role: Role;
}

function roleOf(code: string): Role {
  if (code.includes('CounterWorker')) return 'worker';
  if (code.includes('Producer')) return 'produce';
  if (/\.watch\(/.test(code)) return 'watch';
  if (/\.(set|reset)\(/.test(code)) return 'write';
  return 'read';
}

function examplesOf(blocks: readonly CodeBlock[]): Example[] {
  return blocks
    .filter((block) => block.notRun === undefined)
    .map((block, i) => ({
      id: block.id,
      file: `${String(i).padStart(2, '0')}-${block.id.replace(/[^\w]+/g, '-')}.${block.lang}`,
      code: block.code,
      role: roleOf(block.code),
    }));
}

/** Totals the produce examples add, from their `increment('name', by)` calls. */
function producedTotals(examples: readonly Example[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const example of examples.filter((e) => e.role === 'produce')) {
    for (const [, name, by] of example.code.matchAll(
      /\.increment\(\s*'([^']+)'\s*(?:,\s*(-?[\d_]+)\s*)?\)/g,
    )) {
      totals.set(name!, (totals.get(name!) ?? 0) + Number((by ?? '1').replace(/_/g, '')));
    }
  }
  return totals;
}

/** `name value ...` lines an example printed (`console.log(name, value)`; a bigint's `n` too). */
function printedPairs(stdout: string): Array<[string, number]> {
  return [...stdout.matchAll(/^(\S+)[ \t]+(-?\d+)n?(?=\s|$)/gm)].map(([, name, value]) => [
    name!,
    Number(value),
  ]);
}

describe('the packed package, installed in a fresh project', () => {
  const redis = useRedisServers({ count: 1 + NODE_IDS.length });
  let dir: string | undefined;
  let project: string;
  const examples = examplesOf(
    DOCS.flatMap((doc) => codeBlocks(doc, readFileSync(join(ROOT, doc), 'utf8'))),
  );
  let tarball: PackedTarball;
  let compiled: Map<string, string[]>;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const started = Date.now();
    const step = (what: string) => process.stdout.write(`${what}: ${Date.now() - started} ms\n`);
    dir = mkdtempSync(join(tmpdir(), 'countd-package-'));
    project = join(dir, 'project');
    tarball = await packRepository(dir);
    step('built and packed');
    await installProject(project, tarball.path);
    step('installed');
    compiled = await compileExamples(project, examples);
    step('compiled the examples');
    const [queue, ...nodes] = redis.servers;
    env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('COUNTD_')),
    );
    env.COUNTD_QUEUE_URL = queue!.url;
    env.COUNTD_NODES = nodes.map((node, i) => `${NODE_IDS[i]}=${node.url}`).join(',');
  }, 300_000);
  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('holds the library, the CLI, grafana/ and docs/; no test, no bench', () => {
    process.stdout.write(
      `npm pack: ${tarball.size} bytes packed, ${tarball.unpackedSize} unpacked, ` +
        `${tarball.files.length} files\n`,
    );
    for (const needed of [
      'package.json',
      'bin/countd.js',
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/scripts/apply-group.lua',
      'dist/workers/cli/main.js',
      'docs/reading.md',
    ]) {
      expect(tarball.files, needed).toContain(needed);
    }
    expect(tarball.files.some((f) => f.startsWith('grafana/dashboards/'))).toBe(true);
    const testOrBench = tarball.files.filter((f) =>
      /(^|\/)(test|tests|bench|build)\/|\.test\.|\.spec\.|^dist\/(?!src\/|workers\/)/.test(f),
    );
    expect(testOrBench).toEqual([]);
  });

  it('has examples for producing, a worker, get/getMany, list and watch, all importing countd', () => {
    const code = (role: Role) =>
      examples
        .filter((e) => e.role === role)
        .map((e) => e.code)
        .join('\n');
    expect(code('produce')).toContain('.increment(');
    expect(code('worker')).toContain('.start(');
    for (const call of ['.get(', '.getMany(', '.list']) expect(code('read')).toContain(call);
    expect(code('watch')).toContain('.watch(');
    for (const example of examples) {
      const from = [...example.code.matchAll(/from\s+'([^']+)'/g)].map(([, spec]) => spec);
      expect(
        from.filter((spec) => spec !== 'countd' && !spec!.startsWith('node:')),
        example.id,
      ).toEqual([]);
      expect(example.code, `${example.id} names no address`).not.toMatch(
        /\bport\s*:|redis:\/\/|127\.0\.0\.1|localhost/,
      );
    }
  });

  it('imports, in its code and declarations, only the packages it depends on', () => {
    expect(undeclaredImports(project)).toEqual([]);
  });

  it('installs the countd command', async () => {
    const { stdout } = await run(join(project, 'node_modules/.bin/countd'), ['--help'], { env });
    expect(stdout).toContain('Usage: countd <command>');
  });

  it('type-checks every example against the installed declarations', () => {
    const report = [...compiled].map(([id, lines]) => `${id}:\n  ${lines.join('\n  ')}`);
    expect(report.join('\n'), 'tsc errors').toBe('');
  });

  it('runs every example: produce, then a worker, then reads see the counts; a watch sees a flush', async () => {
    const byRole = (role: Role) => examples.filter((e) => e.role === role);
    const runToEnd = async (example: Example): Promise<ExampleRun> => {
      const result = await startExample(project, example, env, RUN_TIMEOUT_MS).done;
      assertExited0(example, result);
      return result;
    };
    const produceAndFlush = async () => {
      for (const example of [...byRole('produce'), ...byRole('worker')]) await runToEnd(example);
    };
    const expected = producedTotals(examples);
    expect(expected.size, 'the produce examples increment named counters').toBeGreaterThan(0);

    await produceAndFlush();
    const shown = new Set<string>();
    for (const example of byRole('read')) {
      const { stdout } = await runToEnd(example);
      for (const [name, value] of printedPairs(stdout)) {
        if (!expected.has(name)) continue;
        expect(value, `${example.id} prints ${name}`).toBe(expected.get(name));
        shown.add(name);
      }
    }
    expect([...shown].sort(), 'counters the read examples printed').toEqual(
      [...expected.keys()].sort(),
    );

    // A watch sees what is flushed once it is subscribed on every node: the produce and worker
    // examples run again, so the totals it prints are twice the first ones.
    for (const example of byRole('watch')) {
      const watching = startExample(project, example, env, RUN_TIMEOUT_MS);
      let exited: ExampleRun | undefined;
      void watching.done.then((result) => (exited = result));
      await subscribedEverywhere(() => exited !== undefined);
      if (exited !== undefined) assertExited0(example, exited);
      await produceAndFlush();
      const result = await watching.done;
      assertExited0(example, result);
      const seen = printedPairs(result.stdout).filter(([name]) => expected.has(name));
      expect(seen.length, `${example.id} printed an update`).toBeGreaterThan(0);
      for (const [name, value] of seen) expect(value, name).toBe(2 * expected.get(name)!);
      for (const [name, total] of expected) expected.set(name, 2 * total);
    }

    for (const example of byRole('write')) await runToEnd(example);
  }, 240_000);

  /** Waits until every storage node has a subscriber on the updates channel. */
  async function subscribedEverywhere(gaveUp: () => boolean): Promise<void> {
    const deadline = Date.now() + 20_000;
    const channel = new CountdKeys(parseConfig(env).prefix).updatesChannel();
    const nodes = redis.servers.slice(1).map((server) => server.client());
    while (!gaveUp()) {
      const counts = await Promise.all(
        nodes.map(async (client) => {
          const reply = (await client.call('PUBSUB', 'NUMSUB', channel)) as [string, number];
          return Number(reply[1]);
        }),
      );
      if (counts.every((n) => n > 0)) return;
      if (Date.now() > deadline) throw new Error(`watch not subscribed on every node: ${counts}`);
      await sleep(50);
    }
  }
});
