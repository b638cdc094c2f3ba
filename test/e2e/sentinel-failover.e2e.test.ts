import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoadGenerator } from '../../workers/load/index.js';
import { SentinelStack } from '../../workers/local-stack/sentinel-stack.js';
import { ensureBuilt } from './build-once.js';
import { runCountd } from './support/countd-run.js';
import { SentinelDeployment, failOver } from './support/sentinel-deployment.js';
import { describeCheck, verifyCounters } from './support/verify-counters.js';

const SEED = Number(process.env.E2E_SEED ?? Math.floor(Math.random() * 1e9));
const RSS_BOUND = 400 * 1024 * 1024;

// Issue 12: 3 sentinels; the queue and each of 3 storage nodes a primary + replica (AOF,
// appendfsync always); 2 worker processes. Sentinel declares a primary down after 1 s.
describe('Sentinel failover under load', () => {
  let dir: string;
  let stack: SentinelStack;

  beforeAll(async () => {
    await ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'countd-sentinel-'));
    stack = await SentinelStack.start({
      dir,
      groups: ['queue', 'a', 'b', 'c'],
      replicas: 1,
      sentinels: 3,
      downAfterMs: 1000,
      failoverTimeoutMs: 3000,
      appendfsync: 'always',
    });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs a load while `faults` runs; returns the check of every counter against what was confirmed. */
  async function loadThrough(
    d: SentinelDeployment,
    load: { total: number; rate: number },
    faults: (generator: LoadGenerator) => Promise<void>,
  ) {
    await d.startWorker('w1');
    await d.startWorker('w2');
    const producers = [d.producer(), d.producer()];
    const generator = new LoadGenerator(
      { ...load, counters: 20_000, zipf: 1.1, seed: SEED, namePrefix: 'item' },
      producers,
    );
    const started = performance.now();
    const done = generator.run();
    await faults(generator);
    const result = await done;
    await Promise.all(producers.map((p) => p.close().catch(() => undefined)));
    await d.waitForDrain(60_000);
    const check = await verifyCounters(
      generator.confirmedTotals().toMap(),
      d.layout,
      await d.primaryClients(),
    );
    return { check, result, seconds: (performance.now() - started) / 1000 };
  }

  /**
   * Kills the primaries of nodes a and b (one after the other) and of the queue, each restarted
   * 5 s later; the next kill comes once the last one's figures are in.
   */
  async function threeFailovers(d: SentinelDeployment, generator: LoadGenerator, lines: string[]) {
    for (const group of ['a', 'b', 'queue']) {
      await sleep(2000);
      const f = await failOver(stack, group, 5000);
      const confirmedAtKill = generator.progress().confirmed;
      const resumed =
        group === 'queue'
          ? (async () => {
              // Bounded: a load that ended before this kill confirms nothing after it, and an
              // unbounded wait hid everything behind the test's timeout (no worker logs).
              const deadline = Date.now() + 60_000;
              for (;;) {
                const p = generator.progress();
                if (p.confirmed !== confirmedAtKill) break;
                if (p.confirmed + p.failed >= p.total) return 'the load had ended before it';
                if (Date.now() > deadline)
                  throw new Error('no producer confirmation 60 s after the queue kill');
                await sleep(50);
              }
              return `first producer confirmation ${((Date.now() - f.killedAt) / 1000).toFixed(1)} s after it`;
            })()
          : d
              .firstFlushAfter(group, f.killedAt)
              .then((s) => `first durable flush on the new primary ${s.toFixed(1)} s after it`);
      const [what, back] = await Promise.all([resumed, f.replicaBack]);
      lines.push(
        `${group}: promoted ${f.promotedSeconds.toFixed(1)} s after the kill, ${what} (old primary back as its replica at ${back.toFixed(1)} s)`,
      );
    }
  }

  it('COUNTD_MIN_REPLICAS=1: three primaries SIGKILLed under 1,000,000 increments, every counter exactly what producers confirmed', async () => {
    const d = new SentinelDeployment(stack, 'minrep1', { COUNTD_MIN_REPLICAS: '1' });
    const lines: string[] = [];
    try {
      const { check, result, seconds } = await loadThrough(
        d,
        { total: 1_000_000, rate: 30_000 },
        (generator) => threeFailovers(d, generator, lines),
      );
      console.log(
        `[sentinel-failover] MIN_REPLICAS=1 seed ${SEED}: ${result.confirmed} confirmed, ${result.failed} rejected, ${seconds.toFixed(1)} s; ${describeCheck(check)}\n  ${lines.join('\n  ')}`,
      );
      expect(result.failed).toBe(0);
      expect(result.confirmed).toBe(1_000_000);
      expect(check.mismatches, describeCheck(check)).toEqual([]);
      expect(check.unexpected).toEqual([]);
    } catch (err) {
      console.log(d.stderrTails());
      throw err;
    } finally {
      await d.dispose();
    }
  }, 150_000);

  it('COUNTD_MIN_REPLICAS=0: the same faults, smaller load (300,000); what was lost is reported, not asserted', async () => {
    const d = new SentinelDeployment(stack, 'minrep0', { COUNTD_MIN_REPLICAS: '0' });
    const lines: string[] = [];
    try {
      const { check, result, seconds } = await loadThrough(
        d,
        // 20 s of load at 15,000/s could end before the third kill on a loaded machine.
        { total: 300_000, rate: 10_000 },
        (generator) => threeFailovers(d, generator, lines),
      );
      console.log(
        `[sentinel-failover] MIN_REPLICAS=0 seed ${SEED}: ${result.confirmed} confirmed, ${result.failed} rejected, ${seconds.toFixed(1)} s; increments lost: ${check.lost}, counted twice: ${check.doubled}; ${describeCheck(check)}\n  ${lines.join('\n  ')}`,
      );
      expect(check.doubled).toBe(0n);
    } catch (err) {
      console.log(d.stderrTails());
      throw err;
    } finally {
      await d.dispose();
    }
  }, 150_000);

  it('a node whose primary stays unreachable for 20 s: jobs held, memory bounded, exact after the promotion', async () => {
    const d = new SentinelDeployment(stack, 'outage', { COUNTD_MIN_REPLICAS: '1' });
    const asked = (ms: number) =>
      Promise.all(
        stack.sentinels.map(async (s) => {
          const redis = d.client(s);
          await redis.call('SENTINEL', 'SET', 'c', 'down-after-milliseconds', String(ms));
        }),
      );
    try {
      await asked(20_000);
      let held = 0;
      let rss = 0;
      const { check, result } = await loadThrough(d, { total: 300_000, rate: 20_000 }, async () => {
        await sleep(2000);
        // While c has no primary: the held jobs and RSS of both workers, every 500 ms.
        const from = Date.now();
        const sampling = (async () => {
          while (Date.now() - from < 21_000) {
            const now = await d.heldAndRss();
            held = Math.max(held, now.held);
            rss = Math.max(rss, now.rss);
            await sleep(500);
          }
        })();
        const f = await failOver(stack, 'c', 22_000);
        const flushed = await d.firstFlushAfter('c', f.killedAt);
        await sampling;
        await f.restarted;
        console.log(
          `[sentinel-failover] c without a primary: promoted ${f.promotedSeconds.toFixed(1)} s after the kill, first durable flush ${flushed.toFixed(1)} s after it; held jobs <= ${held}, worker RSS <= ${(rss / 2 ** 20).toFixed(0)} MiB`,
        );
      });
      expect(held).toBeGreaterThan(0);
      expect(held).toBeLessThanOrEqual(2 * 300);
      expect(rss).toBeLessThan(RSS_BOUND);
      expect(result.failed).toBe(0);
      expect(check.mismatches, describeCheck(check)).toEqual([]);
    } finally {
      await asked(1000).catch(() => undefined);
      await d.dispose();
    }
  }, 150_000);

  it.each([
    ['a malformed sentinel URL', (url: string) => url.replace(/\/queue$/, ''), /no master name/],
    [
      'an unknown master name',
      (url: string) => url.replace(/\/queue$/, '/nosuch'),
      /no sentinel knows a master named "nosuch"/,
    ],
    [
      'sentinels that do not answer',
      () => 'redis+sentinel://127.0.0.1:1+127.0.0.1:2/queue',
      /no sentinel answered within 2000 ms/,
    ],
  ])(
    '%s: exit 2 at start naming COUNTD_QUEUE_URL, nothing written',
    async (_, url, why) => {
      const d = new SentinelDeployment(stack, 'bad', {});
      try {
        const run = await runCountd(['worker'], {
          env: {
            PATH: process.env.PATH ?? '',
            ...d.env,
            COUNTD_QUEUE_URL: url(d.env.COUNTD_QUEUE_URL!),
          },
          timeoutMs: 20_000,
        });
        expect(run.code, run.output).toBe(2);
        expect(run.output).toMatch(/COUNTD_QUEUE_URL/);
        expect(run.output).toMatch(why);
        const queue = d.client(await stack.primaryOf('queue'));
        expect(await queue.keys(`*${d.prefix}*`)).toEqual([]);
        for (const [, node] of await d.primaryClients())
          expect(await node.keys(`${d.prefix}:*`)).toEqual([]);
      } finally {
        await d.dispose();
      }
    },
    30_000,
  );
});
