import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../e2e/build-once.js';
import { E2eStack } from '../e2e/support/e2e-stack.js';
import { metricSum } from '../e2e/support/prom-text.js';
import type { WorkerProcess } from '../e2e/support/worker-process.js';
import { useRedisServers } from '../support/redis-harness.js';
import { skipWithoutTool } from '../support/required-tool.js';
import { underlyingQueries } from './support/alert-queries.js';
import { addDuplicateJob, addMalformedJobs, causeEnqueueErrors } from './support/error-paths.js';
import { activeTargets, rules } from './support/prometheus-api.js';
import { findPrometheus, PrometheusProcess } from './support/prometheus-process.js';
import { startProducerLoad, type ProducerLoad } from './support/producer-load.js';
import {
  evaluateAll,
  evaluateUntil,
  formatOutcomes,
  hasData,
  type NamedQuery,
} from './support/query-evaluation.js';
import {
  ALERTS_PATH,
  alertExpressions,
  alertRules,
  dashboardExpressions,
} from './promql-expressions.js';

/*
 * The dashboard and the alert rules against a real Prometheus scraping a real fleet: two
 * `countd worker` processes (job countd-worker) and two in-process producers (job countd-load,
 * their ProducerMetrics served by startOpsServer) under continuous Zipf load, scraped every
 * second with alerts.yml loaded. After a 10 s baseline the error paths are walked for real, twice
 * (the first time creates the labelled series, the second shows in rate()/increase()): malformed
 * jobs, completed jobs added again (duplicates), producers refusing (full) and failing
 * (unavailable) batches, and a storage node down for 4 s. Once Prometheus has scraped for a
 * whole minute, every dashboard query, the query under every alert condition and every alert
 * expression as written are evaluated through /api/v1/query; tables of what each returned are
 * printed, with a sample of a worker's /metrics.
 *
 * Prometheus comes from PATH (Debian: `apt-get install -y prometheus`) or PROMETHEUS_BIN.
 * Locally a missing binary skips this suite with a warning; in CI (CI set) it is a failure.
 */
const PROMETHEUS = findPrometheus();
const MISSING =
  process.env.PROMETHEUS_BIN === undefined
    ? 'prometheus not found on PATH'
    : `PROMETHEUS_BIN=${process.env.PROMETHEUS_BIN} is not an executable file`;
const skipPrometheus = skipWithoutTool(
  PROMETHEUS === undefined ? MISSING : undefined,
  'the end-to-end dashboard and alert query test',
  'apt-get install -y prometheus',
);

const LOAD_RATE = 10_000; // increments/s over both producers
/** Scraping before the first error, so that errors show as a rise. */
const BASELINE_MS = 10_000;
/**
 * Queries are judged once Prometheus has scraped for a whole `[1m]` (what `$__rate_interval`
 * becomes): two samples would give data, but a rate over a partly filled window is extrapolated
 * from the samples there and understates the real rate, and the figures printed are quoted.
 */
const FULL_WINDOW_MS = 62_000;
/** A query still without data this long after the window is full is a failure. */
const DATA_TIMEOUT_MS = 30_000;
const NODE_OUTAGE_MS = 4000;
const SEED = Number(process.env.E2E_SEED ?? Math.floor(Math.random() * 1e9));

describe.skipIf(skipPrometheus)('Prometheus scraping countd under load', () => {
  const queueRedis = useRedisServers({ count: 1 });
  // AOF: the node stopped below must come back with its data (and its countd identity); one
  // that came back empty would be refused, as it must be.
  const nodeRedis = useRedisServers({ count: 3, appendonly: true, appendfsync: 'always' });
  let stack: E2eStack | undefined;
  let workers: WorkerProcess[] = [];
  let load: ProducerLoad | undefined;
  let prometheusStarted = 0;
  let prometheus: PrometheusProcess | undefined;
  let queue: Queue | undefined;
  const suiteStarted = performance.now();

  beforeAll(async () => {
    if (PROMETHEUS === undefined) {
      throw new Error(
        `${MISSING}; it is required in CI: apt-get install -y prometheus (or set PROMETHEUS_BIN)`,
      );
    }
    await ensureBuilt();
    stack = new E2eStack(queueRedis.server(0), nodeRedis.servers, 'prom', {
      COUNTD_FLUSH_INTERVAL_MS: '200',
    });
    workers = [await stack.startWorker('w1'), await stack.startWorker('w2')];
    load = await startProducerLoad({
      queue: stack.queueConnection,
      queueName: stack.queueName,
      producers: 2,
      rate: LOAD_RATE,
      counters: 20_000,
      zipf: 1.1,
      seed: SEED,
    });
    prometheus = await PrometheusProcess.start({
      binary: PROMETHEUS,
      jobs: [
        { name: 'countd-worker', targets: workers.map((w) => hostPort(w.metricsUrl)) },
        { name: 'countd-load', targets: [hostPort(load.opsUrl)] },
      ],
      ruleFiles: [ALERTS_PATH],
      intervalSeconds: 1,
    });
    prometheusStarted = performance.now();
    queue = new Queue(stack.queueName, {
      connection: { ...stack.queueConnection, maxRetriesPerRequest: null },
    });
  }, 240_000);

  afterAll(async () => {
    // Every step, even when one fails; the harness then stops the Redis servers.
    const steps = [
      () => load?.stop(),
      () => queue?.close(),
      () => prometheus?.stop(),
      () => stack?.dispose(),
    ];
    for (const step of steps) await Promise.resolve(step()).catch((err: unknown) => err);
    console.log(
      `[prometheus e2e] seed ${SEED}; suite ${((performance.now() - suiteStarted) / 1000).toFixed(1)} s`,
    );
  }, 60_000);

  it('scrapes the workers and the producers while the error paths are walked', async () => {
    const s = stack!;
    const url = prometheus!.url;
    // A baseline first, so that every error shows as a rise on the panels.
    await sleep(BASELINE_MS);

    // Round 1 creates the error series: a labelled counter is exported from its first increment.
    const duplicateNames = Array.from({ length: 30 }, (_, i) => `duplicate:${i}`);
    const duplicateNodes = new Set(duplicateNames.map((n) => s.layout.locate(n).node));
    const malformed = await addMalformedJobs(queue!, `${s.prefix}-r1`);
    await addDuplicateJob(queue!, `${s.prefix}-duplicate-r1`, duplicateNames);
    const enqueueErrors = await causeEnqueueErrors(s.queueConnection, s.queueName, load!.metrics);
    await sleep(3000);
    // A labelled series appears with its first increment, so its first sample is already 1:
    // rate() and increase() start from that sample and see no rise. Shown, not asserted.
    const firstErrors = await evaluateAll(url, [
      { name: 'failed jobs seen by workers', expr: 'sum(countd_jobs_failed_total)' },
      { name: 'increase() of failed jobs', expr: 'sum(increase(countd_jobs_failed_total[1m]))' },
      { name: 'CountdJobsFailed condition', expr: alertExpr('CountdJobsFailed') },
      { name: 'enqueue errors seen', expr: 'sum(countd_enqueue_errors_total)' },
      {
        name: 'increase() of enqueue errors',
        expr: 'sum(increase(countd_enqueue_errors_total[1m]))',
      },
    ]);
    console.log(
      formatOutcomes('[prometheus e2e] after the first errors of each kind', firstErrors),
    );

    // A storage node down for a few seconds under load: flushes to it fail and are retried.
    const node = nodeRedis.server(1);
    await node.stop();
    await sleep(NODE_OUTAGE_MS);
    await node.restart();

    // Round 2: the series exist now (on the worker that had them), so rate() and increase() see
    // these.
    malformed.push(...(await addMalformedJobs(queue!, `${s.prefix}-r2`)));
    malformed.push(...(await addMalformedJobs(queue!, `${s.prefix}-r3`)));
    await Promise.all(
      [1, 2, 3, 4].map((i) =>
        addDuplicateJob(queue!, `${s.prefix}-duplicate-r2-${i}`, duplicateNames),
      ),
    );
    await causeEnqueueErrors(s.queueConnection, s.queueName, load!.metrics);
    await sleep(3000);

    const texts = await Promise.all(workers.map((w) => w.metrics()));
    const total = (name: string, labels: Record<string, string> = {}) =>
      texts.reduce((sum, text) => sum + metricSum(text, name, labels), 0);
    const producerText = await load!.registry.metrics();
    const sample = texts[0]!.split('\n').filter((line) => line.startsWith('countd_'));
    console.log(
      `[prometheus e2e] worker w1 ${workers[0]!.metricsUrl} under load, first 60 countd_ samples ` +
        `of ${sample.length}:\n${sample.slice(0, 60).join('\n')}`,
    );
    console.log(
      `[prometheus e2e] error paths: ${malformed.length} malformed jobs; 5 duplicate jobs over ` +
        `nodes ${[...duplicateNodes].join(',')}; storage node b down ${NODE_OUTAGE_MS} ms; ` +
        `producer errors, twice each: ${String(enqueueErrors.full)} | ${String(enqueueErrors.unavailable)}`,
    );

    expect(total('countd_jobs_failed_total', { reason: 'malformed' })).toBe(malformed.length);
    expect(total('countd_duplicate_parts_skipped_total')).toBeGreaterThanOrEqual(
      5 * duplicateNodes.size,
    );
    expect(total('countd_flush_errors_total', { node: 'b' })).toBeGreaterThan(0);
    expect(total('countd_increments_flushed_total')).toBeGreaterThan(0);
    expect(metricSum(producerText, 'countd_enqueue_errors_total', { reason: 'full' })).toBe(2);
    expect(metricSum(producerText, 'countd_enqueue_errors_total', { reason: 'unavailable' })).toBe(
      2,
    );

    const targets = await activeTargets(url);
    console.log(
      `[prometheus e2e] targets: ${targets.map((t) => `${t.labels.job} ${t.scrapeUrl} ${t.health}`).join('; ')}`,
    );
    expect(targets.map((t) => [t.labels.job, t.health]).sort()).toEqual([
      ['countd-load', 'up'],
      ['countd-worker', 'up'],
      ['countd-worker', 'up'],
    ]);
  }, 90_000);

  it('returns data for every query of the dashboard', async () => {
    const scraped = performance.now() - prometheusStarted;
    if (scraped < FULL_WINDOW_MS) await sleep(FULL_WINDOW_MS - scraped);
    const queries: NamedQuery[] = dashboardExpressions().map((e) => ({
      name: e.panel,
      expr: e.expr,
    }));
    const { outcomes, seconds, rounds } = await evaluateUntil(
      prometheus!.url,
      queries,
      hasData,
      DATA_TIMEOUT_MS,
    );
    console.log(
      formatOutcomes(
        `[prometheus e2e] dashboard: ${outcomes.filter(hasData).length}/${outcomes.length} ` +
          `queries return data (${rounds} evaluation round(s), ${seconds.toFixed(1)} s, ` +
          `${loadFigures(load!)})`,
        outcomes,
      ),
    );
    for (const o of outcomes) {
      expect(o.status, `${o.name}: ${o.expr}\n${o.error ?? ''}`).toBe('success');
      expect(o.series, `${o.name}: no series for ${o.expr}`).toBeGreaterThan(0);
      expect(o.finite.length, `${o.name}: only NaN/Inf for ${o.expr}`).toBeGreaterThan(0);
    }
  }, 120_000);

  it('returns data for the query under every alert, and evaluates every alert expression', async () => {
    const url = prometheus!.url;
    const alerts = alertExpressions();
    const queries: NamedQuery[] = alerts.flatMap(({ alert, expr }) => {
      const parts = underlyingQueries(expr);
      return parts.map((q, i) => ({
        name: parts.length > 1 ? `${alert} (${i + 1}/${parts.length})` : alert,
        expr: q,
      }));
    });
    const { outcomes, seconds } = await evaluateUntil(url, queries, hasData, DATA_TIMEOUT_MS);
    const full = await evaluateAll(
      url,
      alerts.map((a) => ({ name: a.alert, expr: a.expr })),
    );
    const ruleStates = await rules(url);
    console.log(
      formatOutcomes(
        `[prometheus e2e] alert queries (threshold removed): ${outcomes.filter(hasData).length}/` +
          `${outcomes.length} return data (${seconds.toFixed(1)} s)`,
        outcomes,
      ),
    );
    console.log(
      formatOutcomes(
        '[prometheus e2e] alert expressions as written (series = condition true now)',
        full,
      ),
    );
    console.log(
      `[prometheus e2e] rules loaded by Prometheus: ${ruleStates
        .map((r) => `${r.name} ${r.health}/${r.state ?? '-'}`)
        .join('; ')}`,
    );

    for (const o of outcomes) {
      expect(o.status, `${o.name}: ${o.expr}\n${o.error ?? ''}`).toBe('success');
      expect(o.series, `${o.name}: no series for ${o.expr}`).toBeGreaterThan(0);
      expect(o.finite.length, `${o.name}: only NaN/Inf for ${o.expr}`).toBeGreaterThan(0);
    }
    for (const o of full) expect(o.status, `${o.name}: ${o.error ?? ''}`).toBe('success');
    // Prometheus loaded alerts.yml itself and evaluates every rule without error.
    expect(ruleStates.map((r) => r.name).sort()).toEqual(
      alertRules()
        .map((r) => r.alert)
        .sort(),
    );
    for (const r of ruleStates) expect(r.health, `${r.name}: ${r.lastError ?? ''}`).toBe('ok');
  }, 120_000);
});

function alertExpr(alert: string): string {
  const rule = alertExpressions().find((a) => a.alert === alert);
  if (rule === undefined) throw new Error(`no alert ${alert} in alerts.yml`);
  return rule.expr;
}

function loadFigures(load: ProducerLoad): string {
  const p = load.generator.progress();
  return (
    `load: ${p.confirmed} increments confirmed in ${p.seconds.toFixed(0)} s, ` +
    `${(p.confirmed / p.seconds).toFixed(0)}/s`
  );
}

/** `http://127.0.0.1:PORT/metrics` → `127.0.0.1:PORT`. */
function hostPort(url: string | undefined): string {
  if (url === undefined) throw new Error('a metrics URL is missing (COUNTD_METRICS_PORT=0?)');
  return new URL(url).host;
}
