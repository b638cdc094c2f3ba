import { median } from './bench-report.js';
import { StatsdDaemon } from './gateway-statsd-daemon.js';
import {
  runGatewayCase,
  type GatewayBenchOptions,
  type GatewayRun,
} from './scenario-gateway-case.js';
import { runStatsdDaemon, type StatsdDaemonRun } from './scenario-gateway-daemon.js';

/** `--only gateway`: HTTP and StatsD TCP through `countd gateway`, and the statsd daemon on UDP. */
export interface GatewayBenchResult {
  readonly httpBatch: number;
  readonly httpClients: number;
  readonly httpConcurrency: number;
  readonly statsdConnections: number;
  readonly http: readonly GatewayRun[];
  readonly tcp: readonly GatewayRun[];
  /** As fast as the client sends (a flood: what UDP drops) and paced at the TCP goal. */
  readonly daemon: readonly StatsdDaemonRun[];
  readonly daemonPaced: readonly StatsdDaemonRun[];
  /** Why the statsd daemon did not run, if it did not. */
  readonly daemonUnavailable: string | undefined;
}

export const GATEWAY_HTTP_GOAL = 500_000;
export const GATEWAY_STATSD_TCP_GOAL = 300_000;

/** Each case `repeat` times, one after the other (each on a fresh gateway, workers, stack). */
export async function runGatewayBench(
  o: GatewayBenchOptions,
  repeat: number,
  progress: (message: string) => void,
): Promise<GatewayBenchResult> {
  const http: GatewayRun[] = [];
  const tcp: GatewayRun[] = [];
  const daemon: StatsdDaemonRun[] = [];
  const daemonPaced: StatsdDaemonRun[] = [];
  const show = (r: GatewayRun, unit: string): void =>
    progress(
      `  ${Math.round(r.perSecond)} ${unit}/s ingest, ${r.cpuUsPerIncrement.toFixed(2)} CPU-µs each, ` +
        `exact ${r.verify.exact}${r.failures.length > 0 ? `; ${r.failures.join('; ')}` : ''}`,
    );
  for (let i = 1; i <= repeat; i++) {
    progress(
      `gateway HTTP run ${i}/${repeat}: ${o.http.spec.total} increments, POSTs of ${o.http.batch}, ` +
        `${o.http.spec.lanes} clients x ${o.http.concurrency} connections`,
    );
    const r = await runGatewayCase(o, 'http', i);
    show(r, 'incr');
    http.push(r);
  }
  for (let i = 1; i <= repeat; i++) {
    progress(
      `gateway StatsD TCP run ${i}/${repeat}: ${o.statsd.spec.total} lines, ${o.statsd.connections} connections`,
    );
    const r = await runGatewayCase(o, 'tcp', i);
    show(r, 'lines');
    tcp.push(r);
  }
  const daemonUnavailable = StatsdDaemon.unavailable();
  for (let i = 1; i <= repeat && daemonUnavailable === undefined; i++) {
    for (const rate of [0, GATEWAY_STATSD_TCP_GOAL]) {
      progress(
        `statsd daemon UDP run ${i}/${repeat}: the same ${o.statsd.spec.total} lines, ` +
          (rate > 0 ? `paced at ${rate}/s` : 'as fast as the client sends'),
      );
      const r = await runStatsdDaemon(o.dir, o.statsd.spec, i, rate);
      progress(
        `  ${Math.round(r.perSecond)} lines/s taken in, delivered ${r.received}/${r.lines} (sent at ${Math.round(r.sentPerSecond)}/s)`,
      );
      (rate > 0 ? daemonPaced : daemon).push(r);
    }
  }
  if (daemonUnavailable !== undefined) progress(`statsd daemon not run: ${daemonUnavailable}`);
  return {
    httpBatch: o.http.batch,
    httpClients: o.http.spec.lanes,
    httpConcurrency: o.http.concurrency,
    statsdConnections: o.statsd.connections,
    http,
    tcp,
    daemon,
    daemonPaced,
    daemonUnavailable,
  };
}

const mid = <T>(runs: readonly T[], get: (r: T) => number): number | null =>
  runs.length > 0 ? median(runs.map(get)) : null;

/** The flat figures of `--json`. */
export function gatewayFigures(
  g: GatewayBenchResult | undefined,
): Record<string, number | boolean | null> {
  const http = g?.http ?? [];
  const tcp = g?.tcp ?? [];
  const daemon = g?.daemon ?? [];
  const httpRate = mid(http, (r) => r.perSecond);
  const tcpRate = mid(tcp, (r) => r.perSecond);
  const daemonRate = mid(daemon, (r) => r.perSecond);
  return {
    gateway_http_increments_per_s: httpRate,
    gateway_http_end_to_end_increments_per_s: mid(http, (r) => r.endToEndPerSecond),
    cpu_us_per_increment_gateway_http: mid(http, (r) => r.cpuUsPerIncrement),
    cpu_us_per_increment_gateway_http_gateway_only: mid(http, (r) => r.gatewayCpuUsPerIncrement),
    gateway_http_goal_met: httpRate === null ? null : httpRate >= GATEWAY_HTTP_GOAL,
    gateway_statsd_tcp_lines_per_s: tcpRate,
    gateway_statsd_tcp_end_to_end_lines_per_s: mid(tcp, (r) => r.endToEndPerSecond),
    cpu_us_per_line_gateway_statsd_tcp: mid(tcp, (r) => r.cpuUsPerIncrement),
    cpu_us_per_line_gateway_statsd_tcp_gateway_only: mid(tcp, (r) => r.gatewayCpuUsPerIncrement),
    gateway_statsd_tcp_goal_met: tcpRate === null ? null : tcpRate >= GATEWAY_STATSD_TCP_GOAL,
    gateway_exact:
      g === undefined
        ? null
        : [...http, ...tcp].every((r) => r.verify.exact && r.failures.length === 0),
    statsd_daemon_udp_lines_per_s: daemonRate,
    statsd_daemon_udp_sent_lines_per_s: mid(daemon, (r) => r.sentPerSecond),
    statsd_daemon_udp_delivered_ratio: mid(daemon, (r) => r.deliveredRatio),
    cpu_us_per_line_statsd_daemon_udp: mid(daemon, (r) => r.cpuUsPerLine),
    statsd_daemon_udp_paced_lines_per_s: mid(g?.daemonPaced ?? [], (r) => r.perSecond),
    statsd_daemon_udp_paced_sent_lines_per_s: mid(g?.daemonPaced ?? [], (r) => r.sentPerSecond),
    statsd_daemon_udp_paced_delivered_ratio: mid(g?.daemonPaced ?? [], (r) => r.deliveredRatio),
    ratio_gateway_tcp_vs_statsd_daemon_udp:
      tcpRate !== null && daemonRate !== null ? tcpRate / daemonRate : null,
  };
}
