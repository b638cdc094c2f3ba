import type { ChangePlan } from '../../../src/ring-change/index.js';
import { count, describeChange, ringSummary, type RingSummary } from './ring-status-report.js';

/** What `countd ring <change> --dry-run --json` prints (docs/ring.md, "Command line"). */
export interface PlanReport {
  readonly dryRun: true;
  readonly kind: string;
  readonly description: string;
  readonly from: RingSummary;
  readonly to: RingSummary;
  readonly counters: number;
  readonly moving: number;
  readonly perNode: ChangePlan['perNode'];
  readonly buckets: ChangePlan['buckets'];
  readonly expectedShare: number;
  readonly measuredShare: number;
}

export function planReport(kind: string, plan: ChangePlan): PlanReport {
  return {
    dryRun: true,
    kind,
    description: describeChange(plan.from, plan.to),
    from: ringSummary(plan.from),
    to: ringSummary(plan.to),
    counters: plan.counters,
    moving: plan.moving,
    perNode: plan.perNode,
    buckets: plan.buckets,
    expectedShare: plan.expectedShare,
    measuredShare: plan.measuredShare,
  };
}

/** The plan as text: totals, then a row per node of `from` ∪ `to`. */
export function formatPlan(report: PlanReport): string {
  const lines = [
    `dry run: ${report.description}, ring version ${report.from.version} → ${report.to.version}` +
      ' (nothing was changed)',
    `counters: ${count(report.counters)}, moving: ${count(report.moving)} ` +
      `(${percent(report.measuredShare)} measured, ${percent(report.expectedShare)} expected)`,
    `buckets: ${report.buckets.from} → ${report.buckets.to}`,
  ];
  const header = ['node', 'before', 'after', 'out', 'in'];
  const rows = report.perNode.map((n) => [
    n.id,
    count(n.before),
    count(n.after),
    count(n.movingOut),
    count(n.movingIn),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const format = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  lines.push(format(header), ...rows.map(format));
  return `${lines.join('\n')}\n`;
}

function percent(share: number): string {
  return `${(share * 100).toFixed(2)}%`;
}
