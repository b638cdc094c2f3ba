import { readFileSync } from 'node:fs';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ProducerMetrics, WorkerMetrics } from '../../src/metrics/index.js';
import {
  alertExpressions,
  alertRules,
  allPanels,
  dashboardExpressions,
  readDashboard,
  referencedMetrics,
  substituteVariables,
} from './promql-expressions.js';

/** Series names Prometheus can hold for a registry: histograms expose _bucket, _sum, _count. */
function seriesNames(registry: Registry): Set<string> {
  const names = new Set<string>();
  for (const m of registry.getMetricsAsArray()) {
    // getMetricsAsArray() returns the metric objects themselves (its typing says otherwise).
    if ((m as unknown) instanceof Histogram) {
      for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
    } else names.add(m.name);
  }
  return names;
}

// The real definitions, not a copy of their names: a renamed metric breaks this test.
const countdRegistry = new Registry();
new WorkerMetrics(countdRegistry);
new ProducerMetrics(countdRegistry);
const defaultsRegistry = new Registry();
collectDefaultMetrics({ register: defaultsRegistry });

const COUNTD_SERIES = seriesNames(countdRegistry);
const DEFAULT_SERIES = seriesNames(defaultsRegistry);
const KNOWN = new Set([...COUNTD_SERIES, ...DEFAULT_SERIES, 'up']);

function unknownMetrics(expr: string): string[] {
  return referencedMetrics(expr).filter((m) => !KNOWN.has(m));
}

describe('referencedMetrics', () => {
  it('finds metric names and skips functions, keywords, labels and durations', () => {
    expect(
      referencedMetrics(
        'sum by (node) (rate(a_total{node="x", le="+Inf"}[5m] offset 1m)) / ignoring (node) group_left sum(b) > 0.5 and on (job) up == bool 1',
      ).sort(),
    ).toEqual(['a_total', 'b', 'up']);
    expect(referencedMetrics('histogram_quantile(0.99, sum by (le) (rate(h_bucket[1m])))')).toEqual(
      ['h_bucket'],
    );
    expect(referencedMetrics('absent(up{job="countd-worker"} == 1)')).toEqual(['up']);
  });
});

describe('substituteVariables', () => {
  it('replaces every spelling of a variable with a concrete value', () => {
    expect(
      substituteVariables('rate(x{job=~"$job", instance=~"${instance:regex}"}[$__rate_interval])'),
    ).toBe('rate(x{job=~".*", instance=~".*"}[1m])');
    expect(substituteVariables('x[[[__interval]]]')).toBe('x[1m]');
  });

  it('refuses an unknown variable', () => {
    expect(() => substituteVariables('x{a="$nope"}')).toThrow(/\$nope/);
  });
});

describe('dashboard queries', () => {
  const panels = allPanels().filter((p) => p.type !== 'row');
  const expressions = dashboardExpressions();

  it('has panels, each with at least one non-empty target', () => {
    expect(panels.length).toBeGreaterThan(10);
    for (const p of panels) {
      expect(p.targets?.length ?? 0, `panel "${p.title}" has no target`).toBeGreaterThan(0);
      for (const t of p.targets ?? []) {
        expect(t.expr?.trim() ?? '', `panel "${p.title}" target ${t.refId}`).not.toBe('');
        expect(t.refId, `panel "${p.title}" target without refId`).toBeTruthy();
      }
    }
    expect(expressions.length).toBe(panels.reduce((n, p) => n + (p.targets?.length ?? 0), 0));
  });

  it('leaves no Grafana variable in the expressions handed out', () => {
    for (const { panel, expr } of expressions) expect(expr, panel).not.toMatch(/\$|\[\[/);
  });

  it('reads only metrics that exist in src/metrics or the prom-client defaults', () => {
    for (const { panel, expr } of expressions) {
      expect(referencedMetrics(expr).length, `panel "${panel}" reads no metric`).toBeGreaterThan(0);
      expect(unknownMetrics(expr), `panel "${panel}": ${expr}`).toEqual([]);
    }
  });

  it('shows every countd metric somewhere', () => {
    const used = new Set(expressions.flatMap((e) => referencedMetrics(e.expr)));
    const countdBase = countdRegistry.getMetricsAsArray().map((m) => m.name);
    const missing = countdBase.filter(
      (name) => ![name, `${name}_bucket`, `${name}_sum`, `${name}_count`].some((s) => used.has(s)),
    );
    expect(missing).toEqual([]);
  });

  it('filters every series by the job and instance variables', () => {
    const variables = (readDashboard().templating?.list ?? []).map((v) => v.name);
    expect(variables).toEqual(expect.arrayContaining(['job', 'instance']));
    for (const p of panels) {
      for (const t of p.targets ?? []) {
        const expr = t.expr ?? '';
        const metrics = referencedMetrics(substituteVariables(expr));
        const selectors = [...expr.matchAll(/([A-Za-z_:][\w:]*)\{([^}]*)\}/g)];
        expect(
          selectors.map((s) => s[1]).sort(),
          `panel "${p.title}": bare metric in ${expr}`,
        ).toEqual(expect.arrayContaining(metrics));
        for (const [, name, matchers] of selectors) {
          expect(matchers, `panel "${p.title}" ${name}`).toContain('job=~"$job"');
          expect(matchers, `panel "${p.title}" ${name}`).toContain('instance=~"$instance"');
        }
      }
    }
  });

  it('never sums countd_queue_jobs: every worker reports the same queue', () => {
    const queue = expressions.filter((e) => e.expr.includes('countd_queue_jobs'));
    expect(queue.length).toBeGreaterThan(0);
    for (const { panel, expr } of queue) expect(expr, panel).toMatch(/^max\b/);
  });
});

describe('alert rules', () => {
  const rules = alertRules();

  it('has uniquely named alerts, each with for, severity, summary and description', () => {
    expect(rules.length).toBeGreaterThanOrEqual(7);
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
    for (const r of rules) {
      expect(r.for, `${r.alert} has no for`).toMatch(/^\d+[smh]$/);
      expect(['critical', 'warning', 'info'], `${r.alert} severity`).toContain(r.labels?.severity);
      expect(r.annotations?.summary?.trim(), `${r.alert} summary`).toBeTruthy();
      expect(r.annotations?.description?.trim(), `${r.alert} description`).toBeTruthy();
    }
  });

  it('reads only known metrics', () => {
    for (const { alert, expr } of alertExpressions()) {
      expect(expr, alert).not.toBe('');
      expect(referencedMetrics(expr).length, `${alert} reads no metric`).toBeGreaterThan(0);
      expect(unknownMetrics(expr), `${alert}: ${expr}`).toEqual([]);
    }
  });

  it('covers the failure modes the design names', () => {
    const names = rules.map((r) => r.alert);
    expect(names).toEqual(
      expect.arrayContaining([
        'CountdLagHigh',
        'CountdFlushErrors',
        'CountdQueueBacklogGrowing',
        'CountdOldestUnflushedAgeHigh',
        'CountdWorkerDown',
        'CountdWorkersAbsent',
        'CountdDuplicatePartsSpike',
        'CountdJobsFailed',
      ]),
    );
  });
});

describe('docs/observability.md', () => {
  const doc = readFileSync(new URL('../../docs/observability.md', import.meta.url), 'utf8');

  it('lists every panel with its queries, every alert and every countd metric', () => {
    for (const p of allPanels()) expect(doc, `panel "${p.title}"`).toContain(`${p.title}`);
    for (const t of allPanels().flatMap((p) => p.targets ?? [])) {
      expect(doc, `query ${t.expr}`).toContain((t.expr ?? '').replace(/\|/g, '\\|'));
    }
    for (const { alert } of alertRules()) expect(doc, alert).toContain(`\`${alert}\``);
    for (const m of countdRegistry.getMetricsAsArray())
      expect(doc, m.name).toContain(`\`${m.name}\``);
  });
});
