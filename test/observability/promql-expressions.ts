import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** Repository root, from this file's place in test/observability/. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const DASHBOARD_PATH = `${ROOT}grafana/dashboards/countd.json`;
export const ALERTS_PATH = `${ROOT}grafana/prometheus/alerts.yml`;

/**
 * Concrete values for the Grafana variables a panel query may use, so that the query can be
 * sent to Prometheus as is: label variables match everything, intervals become one minute.
 */
export const VARIABLE_VALUES: Readonly<Record<string, string>> = Object.freeze({
  job: '.*',
  instance: '.*',
  __rate_interval: '1m',
  __interval: '1m',
  __range: '1m',
  __interval_ms: '60000',
  __range_ms: '60000',
  __range_s: '60',
});

export interface DashboardPanel {
  id?: number;
  type: string;
  title?: string;
  datasource?: { type?: string; uid?: string };
  gridPos?: { x: number; y: number; w: number; h: number };
  targets?: { refId?: string; expr?: string; hide?: boolean }[];
  panels?: DashboardPanel[];
}

export interface Dashboard {
  panels?: DashboardPanel[];
  templating?: { list?: { name: string; type: string }[] };
}

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function readDashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as Dashboard;
}

/** Every panel, those nested in rows included, in dashboard order. */
export function allPanels(dashboard: Dashboard = readDashboard()): DashboardPanel[] {
  return (dashboard.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
}

/**
 * Replaces `$name`, `${name}`, `${name:format}` and `[[name]]` with VARIABLE_VALUES. An unknown
 * variable throws: a query Prometheus cannot parse must not reach the end-to-end test silently.
 */
export function substituteVariables(expr: string): string {
  return expr.replace(
    /\$\{(\w+)(?::[\w-]+)?\}|\[\[(\w+)\]\]|\$(\w+)/g,
    (whole, braced?: string, bracketed?: string, bare?: string) => {
      const name = braced ?? bracketed ?? bare ?? '';
      const value = VARIABLE_VALUES[name];
      if (value === undefined) throw new Error(`unknown Grafana variable ${whole} in: ${expr}`);
      return value;
    },
  );
}

const PROMQL_KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
]);

/**
 * Metric names a PromQL expression reads. A light scan, not a parser: strings, label matchers,
 * ranges and grouping label lists are blanked first, then every identifier that is neither a
 * function call nor a keyword is a metric name.
 */
export function referencedMetrics(expr: string): string[] {
  const blanked = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\[[^\]]*\]/g, '[]')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '$1()');
  const names = new Set<string>();
  for (const m of blanked.matchAll(/(?<![\w.])[A-Za-z_:][\w:]*/g)) {
    const after = blanked.slice((m.index ?? 0) + m[0].length).trimStart();
    // `sum by (le) (...)`: an aggregation whose grouping comes before its argument.
    const isCall = after.startsWith('(') || /^(by|without)\s*\(/.test(after);
    if (isCall || PROMQL_KEYWORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return [...names];
}

/** Every PromQL query of the dashboard, variables substituted, one entry per target. */
export function dashboardExpressions(): { panel: string; expr: string }[] {
  return allPanels()
    .filter((p) => p.type !== 'row')
    .flatMap((p) =>
      (p.targets ?? [])
        .filter((t) => t.hide !== true)
        .map((t) => ({
          panel: p.title ?? `panel ${p.id}`,
          expr: substituteVariables(t.expr ?? ''),
        })),
    );
}

/** Every alerting rule of alerts.yml, as written (recording rules excluded). */
export function alertRules(): AlertRule[] {
  const doc = parse(readFileSync(ALERTS_PATH, 'utf8')) as {
    groups?: { name: string; rules?: (Partial<AlertRule> & { record?: string })[] }[];
  };
  return (doc.groups ?? []).flatMap((g) =>
    (g.rules ?? [])
      .filter((r) => r.alert !== undefined)
      .map((r) => ({ ...r, alert: r.alert ?? '', expr: String(r.expr ?? '').trim() })),
  );
}

/** Every alert expression, ready to evaluate against Prometheus. */
export function alertExpressions(): { alert: string; expr: string }[] {
  return alertRules().map((r) => ({ alert: r.alert, expr: r.expr }));
}
