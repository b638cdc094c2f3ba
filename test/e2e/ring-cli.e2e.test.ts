import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proposeRing, readRingState, RingChangeRunner } from '../../src/ring-change/index.js';
import { CountdKeys } from '../../src/keys/index.js';
import { useRedisServers } from '../support/redis-harness.js';
import { runCountd } from './support/countd-run.js';
import type { E2eStack } from './support/e2e-stack.js';
import { useE2eStack } from './support/use-e2e-stack.js';

/*
 * The ring change commands as an operator runs them, as processes (node bin/countd.js), on a
 * fleet of one worker over nodes a, b, c with counters in them: a dry run (plan shape, nothing
 * changed), `ring add d --wait`, a conflict with a change in progress (exit 1) and the resume of
 * that change by running its command again, `ring remove d` without --wait (a detached runner
 * carries it out), `ring status --json` at each step, bad usage (exit 2). Every counter keeps
 * its value throughout.
 */
interface StatusReport {
  ring: { version: number; buckets: number; nodes: { id: string; weight: number; url?: string }[] };
  change: { kind: string; phase: string; from: number; to: number } | null;
  workers: { version: number; count: number }[];
}

describe('countd ring add|remove|reweight|status', () => {
  const e2e = useE2eStack();
  const spare = useRedisServers({ count: 1, appendonly: true, appendfsync: 'always' });
  let s: E2eStack;
  let dir: string;
  let env: Record<string, string>;
  let expected: Record<string, number>;

  const countd = async (args: readonly string[], timeoutMs = 60_000) => {
    const run = await runCountd(args, { env, timeoutMs });
    return { ...run, out: run.stdout.toString(), err: run.stderr.toString() };
  };
  const status = async (): Promise<StatusReport> => {
    const run = await countd(['ring', 'status', '--json']);
    expect(run.code, run.output).toBe(0);
    return JSON.parse(run.out) as StatusReport;
  };
  /** Polls status until `done` holds (the worker follows within a second or two). */
  const statusUntil = async (done: (r: StatusReport) => boolean, ms = 30_000) => {
    const deadline = performance.now() + ms;
    for (;;) {
      const report = await status();
      if (done(report)) return report;
      if (performance.now() > deadline)
        throw new Error(`status never as expected: ${JSON.stringify(report)}\n${s.stderrTails()}`);
      await sleep(250);
    }
  };
  const expectValues = async () => {
    const names = Object.keys(expected);
    const got = await runCountd(['get', '--json', '-'], {
      env,
      stdin: Buffer.from(names.join('\n')),
    });
    expect(got.code, got.output).toBe(0);
    expect(JSON.parse(got.stdout.toString())).toEqual(expected);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'countd-ring-cli-'));
    s = e2e.createForSuite('ringcli');
    env = s.workerEnv();
    await s.startWorker('w0');
    const expectFile = join(dir, 'expect.json');
    const load = await countd(
      ['load', '--total', '6000', '--counters', '400', '--seed', '7', '--expect', expectFile],
      120_000,
    );
    expect(load.code, load.output).toBe(0);
    await s.waitForDrain(30_000);
    expected = JSON.parse(readFileSync(expectFile, 'utf8')) as Record<string, number>;
  }, 180_000);

  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('exits 2 on bad usage, naming the problem', async () => {
    const cases: [string[], RegExp][] = [
      [['ring', 'add'], /missing argument/],
      [['ring', 'add', 'd'], /expected <id>\[:<weight>\]=<url>/],
      [['ring', 'reweight', 'a', 'x'], /weight "x"/],
      [['ring', 'remove', 'a', '--wait', '--dry-run'], /--dry-run changes nothing/],
      [['ring', 'layout'], /--buckets/],
      [['ring', 'remove', 'zz'], /"zz" is not a node of ring version 1/],
    ];
    for (const [args, message] of cases) {
      const run = await countd(args);
      expect(run.code, `${args.join(' ')}: ${run.output}`).toBe(2);
      expect(run.err).toMatch(message);
    }
  });

  it('prints the plan of a dry run as JSON and changes nothing', async () => {
    const d = spare.server(0);
    const run = await countd(['ring', 'add', `d=${d.url}`, '--dry-run', '--json']);
    expect(run.code, run.output).toBe(0);
    const plan = JSON.parse(run.out) as {
      dryRun: boolean;
      kind: string;
      description: string;
      from: { version: number };
      to: { version: number; nodes: { id: string }[] };
      counters: number;
      moving: number;
      perNode: { id: string; before: number; after: number; movingOut: number; movingIn: number }[];
      buckets: { from: number; to: number };
      expectedShare: number;
      measuredShare: number;
    };
    expect(plan).toMatchObject({
      dryRun: true,
      kind: 'add',
      description: 'add d (weight 1)',
      from: { version: 1 },
      to: { version: 2 },
      // Every counter the load wrote (one whose increments summed to 0 may hold 0 or be absent).
      counters: expect.any(Number),
      buckets: { from: 4096, to: 4096 },
    });
    expect(plan.to.nodes.map((n) => n.id)).toEqual(['a', 'b', 'c', 'd']);
    const names = Object.keys(expected);
    expect(plan.counters).toBeGreaterThanOrEqual(names.filter((n) => expected[n] !== 0).length);
    expect(plan.counters).toBeLessThanOrEqual(names.length);
    // Ketama moves about a quarter, all of it to d.
    expect(plan.expectedShare).toBeGreaterThan(0.15);
    expect(plan.expectedShare).toBeLessThan(0.35);
    expect(plan.measuredShare).toBeCloseTo(plan.moving / plan.counters, 9);
    const nodeD = plan.perNode.find((n) => n.id === 'd');
    expect(nodeD).toEqual({
      id: 'd',
      before: 0,
      after: plan.moving,
      movingOut: 0,
      movingIn: plan.moving,
    });
    expect(plan.perNode.reduce((sum, n) => sum + n.movingOut, 0)).toBe(plan.moving);

    const text = await countd(['ring', 'add', `d=${d.url}`, '--dry-run']);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(
      /^dry run: add d \(weight 1\), ring version 1 → 2 \(nothing was changed\)/,
    );
    expect(text.out).toMatch(/^d\s+0\s+[\d,]+\s+0\s+[\d,]+$/m);

    const after = await status();
    expect(after.ring.version).toBe(1);
    expect(after.change).toBeNull();
  });

  it('adds d with --wait: exit 0 once done, the worker on version 2, every value kept', async () => {
    const d = spare.server(0);
    const run = await countd(['ring', 'add', `d=${d.url}`, '--wait'], 120_000);
    expect(run.code, run.output).toBe(0);
    expect(run.out).toMatch(/^ring version 2 in place: add d \(weight 1\); [\d,]+ counters moved/);
    // Not a terminal: plain progress lines, no carriage return.
    expect(run.err).toMatch(/^ring change: fencing$/m);
    expect(run.err).not.toContain('\r');
    const report = await statusUntil((r) => r.workers.every((w) => w.version === 2));
    expect(report.ring.version).toBe(2);
    expect(report.change).toBeNull();
    expect(report.ring.nodes.find((n) => n.id === 'd')).toEqual({ id: 'd', weight: 1, url: d.url });
    expect(report.workers).toEqual([{ version: 2, count: 1 }]);
    await expectValues();
  });

  it('refuses another change while one is in progress (exit 1), and resumes it when run again', async () => {
    // A reweight begun and left in phase fencing, as by a runner killed right after begin().
    const queue = new Redis({ ...s.queueConnection });
    const keys = new CountdKeys(s.prefix);
    const state = await readRingState(queue, keys, s.queueName);
    const target = proposeRing(state.ring!, { kind: 'reweight', id: 'a', weight: 2 });
    const runner = new RingChangeRunner({
      queue,
      queueName: s.queueName,
      connect: () => {
        throw new Error('begin() reaches no node');
      },
    });
    await runner.begin('reweight', target);
    await queue.quit();

    const conflict = await countd(['ring', 'remove', 'd', '--wait']);
    expect(conflict.code, conflict.output).toBe(1);
    expect(conflict.err).toMatch(/another change is in progress \(reweight a 1 → 2, version 2 → 3/);
    const during = await status();
    expect(during.change).toMatchObject({ kind: 'reweight', phase: 'fencing', from: 2, to: 3 });

    const resumed = await countd(['ring', 'reweight', 'a', '2', '--wait', '--json'], 120_000);
    expect(resumed.code, resumed.output).toBe(0);
    expect(JSON.parse(resumed.out)).toMatchObject({ done: true, kind: 'reweight', from: 2, to: 3 });
    const report = await statusUntil((r) => r.workers.every((w) => w.version === 3));
    expect(report.ring.nodes.find((n) => n.id === 'a')?.weight).toBe(2);
    expect(report.change).toBeNull();
    await expectValues();
  });

  it('removes d without --wait: a detached runner carries the change out', async () => {
    const run = await countd(['ring', 'remove', 'd', '--json']);
    expect(run.code, run.output).toBe(0);
    const started = JSON.parse(run.out) as {
      started: boolean;
      kind: string;
      from: number;
      to: number;
      runner: { pid: number; log: string };
      follow: string;
    };
    expect(started).toMatchObject({
      started: true,
      resumed: false,
      kind: 'remove',
      from: 3,
      to: 4,
      follow: 'countd ring status',
    });
    expect(existsSync(started.runner.log)).toBe(true);
    const report = await statusUntil(
      (r) => r.change === null && r.workers.every((w) => w.version === 4),
      60_000,
    );
    expect(report.ring.version).toBe(4);
    expect(report.ring.nodes.map((n) => n.id)).toEqual(['a', 'b', 'c']);
    expect(readFileSync(started.runner.log, 'utf8')).toMatch(/ring version 4 in place: remove d/);
    await rm(started.runner.log, { force: true });
    // d holds no counter any more.
    const left = await spare.server(0).client().keys(`${s.prefix}:t:*`);
    expect(left).toEqual([]);
    await expectValues();
  });

  it('says there is nothing to resume when no change is in progress', async () => {
    const run = await countd(['ring', 'resume']);
    expect(run.code, run.output).toBe(0);
    expect(run.out).toBe('no ring change in progress (ring version 4)\n');
  });
});
