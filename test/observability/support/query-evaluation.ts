import { setTimeout as sleep } from 'node:timers/promises';
import { instantQuery, type InstantQueryResult } from './prometheus-api.js';

/** A named PromQL expression: a dashboard panel's target or an alert's query. */
export interface NamedQuery {
  readonly name: string;
  readonly expr: string;
}

/** A query with what Prometheus answered for it, summarised. */
export interface QueryOutcome extends NamedQuery {
  readonly status: InstantQueryResult['status'];
  readonly error: string | undefined;
  /** Series returned. */
  readonly series: number;
  /** Values of the series that are numbers (not NaN nor ±Inf). */
  readonly finite: readonly number[];
}

/** True when the query returned at least one series with a finite value: a panel shows it. */
export function hasData(outcome: QueryOutcome): boolean {
  return outcome.status === 'success' && outcome.finite.length > 0;
}

/** Evaluates every query once, at one instant (now). */
export async function evaluateAll(
  baseUrl: string,
  queries: readonly NamedQuery[],
): Promise<QueryOutcome[]> {
  const time = Date.now() / 1000;
  return Promise.all(
    queries.map(async (q) => {
      const answer = await instantQuery(baseUrl, q.expr, time);
      const values = answer.result.map((s) => Number(s.value[1]));
      return {
        ...q,
        status: answer.status,
        error: answer.error,
        series: answer.result.length,
        finite: values.filter((v) => Number.isFinite(v)),
      };
    }),
  );
}

/**
 * Evaluates every query once a second until each satisfies `accept` or `timeoutMs` passes;
 * returns the last evaluation (all queries at the same instant) and how long it took.
 */
export async function evaluateUntil(
  baseUrl: string,
  queries: readonly NamedQuery[],
  accept: (outcome: QueryOutcome) => boolean,
  timeoutMs: number,
): Promise<{ outcomes: QueryOutcome[]; seconds: number; rounds: number }> {
  const started = performance.now();
  for (let rounds = 1; ; rounds++) {
    const outcomes = await evaluateAll(baseUrl, queries);
    const elapsed = performance.now() - started;
    if (outcomes.every(accept) || elapsed > timeoutMs)
      return { outcomes, seconds: elapsed / 1000, rounds };
    await sleep(1000);
  }
}

/** A plain-text table: name, series returned, value range, expression. */
export function formatOutcomes(title: string, outcomes: readonly QueryOutcome[]): string {
  const rows = outcomes.map((o) => [
    o.name,
    o.status === 'success' ? String(o.series) : `ERROR ${o.error ?? ''}`,
    valueRange(o),
    o.expr.replace(/\s+/g, ' ').trim(),
  ]);
  const header = ['query', 'series', 'value(s)', 'expression'];
  const widths = header.map((h, i) =>
    Math.min(i === 0 ? 44 : 24, Math.max(h.length, ...rows.map((r) => r[i]!.length))),
  );
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i]!) : c)).join('  ');
  return [title, line(header), ...rows.map(line)].join('\n');
}

function valueRange(o: QueryOutcome): string {
  if (o.series === 0) return '-';
  const nonFinite = o.series - o.finite.length;
  const suffix = nonFinite > 0 ? ` (+${nonFinite} NaN/Inf)` : '';
  if (o.finite.length === 0) return 'NaN/Inf only';
  const min = format(Math.min(...o.finite));
  const max = format(Math.max(...o.finite));
  const range = min === max ? min : `${min}..${max}`;
  return range + suffix;
}

function format(value: number): string {
  if (value === 0 || (Math.abs(value) >= 0.01 && Math.abs(value) < 1e6))
    return String(Number(value.toPrecision(4)));
  return value.toExponential(2);
}
