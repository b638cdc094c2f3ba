import { median } from './bench-report.js';
import {
  GATEWAY_HTTP_GOAL,
  GATEWAY_STATSD_TCP_GOAL,
  type GatewayBenchResult,
} from './scenario-gateway.js';
import type { GatewayRun } from './scenario-gateway-case.js';

interface GatewayRow {
  readonly what: string;
  readonly figure: string;
  readonly target: string;
  readonly ok: boolean | undefined;
}

const int = (v: number): string =>
  Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '-';
const fixed = (v: number, digits: number): string => (Number.isFinite(v) ? v.toFixed(digits) : '-');

function caseRows(
  runs: readonly GatewayRun[],
  what: string,
  unit: string,
  goal: number,
): GatewayRow[] {
  if (runs.length === 0) return [];
  const rate = median(runs.map((r) => r.perSecond));
  const exact = runs.every((r) => r.verify.exact && r.failures.length === 0);
  const problems = runs.flatMap((r) => [...r.failures, ...r.verify.examples]).slice(0, 3);
  return [
    {
      what,
      figure: `${int(rate)} ${unit}/s (median of ${runs.length}: ${runs.map((r) => int(r.perSecond)).join(', ')})`,
      target: `>= ${int(goal)}`,
      ok: rate >= goal && exact,
    },
    {
      what: '  CPU-µs per increment, all processes (gateway)',
      figure:
        `${fixed(median(runs.map((r) => r.cpuUsPerIncrement)), 2)} ` +
        `(${fixed(median(runs.map((r) => r.gatewayCpuUsPerIncrement)), 2)})`,
      target: '',
      ok: undefined,
    },
    {
      what: '  through to storage; totals exact',
      figure:
        `${int(median(runs.map((r) => r.endToEndPerSecond)))} ${unit}/s; ${String(exact)} ` +
        `(${int(runs[0]!.verify.checked)} counters read back${problems.length > 0 ? `; ${problems.join('; ')}` : ''})`,
      target: 'true',
      ok: exact,
    },
  ];
}

/** The gateway scenario's rows of the printed table. */
export function gatewayRows(g: GatewayBenchResult): GatewayRow[] {
  const rows = [
    ...caseRows(
      g.http,
      `gateway HTTP, POSTs of ${g.httpBatch} (${g.httpClients} clients x ${g.httpConcurrency})`,
      'incr',
      GATEWAY_HTTP_GOAL,
    ),
    ...caseRows(
      g.tcp,
      `gateway StatsD TCP (${g.statsdConnections} connections)`,
      'lines',
      GATEWAY_STATSD_TCP_GOAL,
    ),
  ];
  if (g.daemonUnavailable !== undefined) {
    rows.push({
      what: 'statsd daemon UDP',
      figure: `not run: ${g.daemonUnavailable}`,
      target: '',
      ok: undefined,
    });
  }
  for (const d of [g.daemon, g.daemonPaced]) {
    if (d.length === 0) continue;
    const first = d[0]!;
    rows.push({
      what:
        first.rate > 0
          ? `statsd 0.9.0 daemon, same lines, UDP paced at ${int(first.rate)}/s`
          : 'statsd 0.9.0 daemon, same lines, UDP flat out',
      figure:
        `${int(median(d.map((r) => r.perSecond)))} lines/s taken in (median of ${d.length}: ` +
        `${d.map((r) => int(r.perSecond)).join(', ')}), sent at ${int(median(d.map((r) => r.sentPerSecond)))}/s`,
      target: '',
      ok: undefined,
    });
    rows.push({
      what: '  delivered / sent; counters exact (run 1)',
      figure:
        `${fixed(median(d.map((r) => r.deliveredRatio)), 4)} (${d.map((r) => `${int(r.received)}/${int(r.lines)}`).join(', ')}); ` +
        `${int(first.countersExact)}/${int(first.counters)}; ${fixed(median(d.map((r) => r.cpuUsPerLine)), 2)} CPU-µs/line (client + daemon)`,
      target: '',
      ok: undefined,
    });
  }
  return rows;
}

/** CPU per process of each gateway run, in cores, for the section under the table. */
export function gatewayCpuLines(g: GatewayBenchResult): string[] {
  const lines: string[] = [];
  for (const run of [...g.http, ...g.tcp]) {
    const parts = Object.entries(run.cpuCores).map(([k, v]) => `${k} ${fixed(v, 2)}`);
    lines.push(
      `  ${run.label.padEnd(14)} ${fixed(run.seconds, 1).padStart(5)} s  ${parts.join(', ')}; ` +
        `${fixed(run.cpuUsPerIncrement, 2)} CPU-µs/incr; machine ${fixed(run.machineCores, 2)}`,
    );
  }
  for (const run of [...g.daemon, ...g.daemonPaced]) {
    const parts = Object.entries(run.cpuCores).map(([k, v]) => `${k} ${fixed(v, 2)}`);
    lines.push(
      `  ${run.label.padEnd(14)} ${fixed(run.seconds, 1).padStart(5)} s  ${parts.join(', ')}`,
    );
  }
  return lines;
}
