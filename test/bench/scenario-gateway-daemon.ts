import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BenchChild, epochMs } from './bench-child.js';
import type { GatewayStatsdConfig, GatewayStatsdResult } from './gateway-statsd-client.js';
import { readTotals, statsdName } from './gateway-statsd-lines.js';
import { StatsdDaemon } from './gateway-statsd-daemon.js';
import { CpuMeter } from './proc-stats.js';
import type { WorkloadSpec } from './workload.js';

/** The `statsd` npm daemon fed the StatsD case's lines over UDP, once. */
export interface StatsdDaemonRun {
  readonly label: string;
  /** Lines/s the client was asked to send at; 0: as fast as it could. */
  readonly rate: number;
  readonly lines: number;
  readonly packets: number;
  /** Lines and packets the daemon counted itself (`statsd.metrics_received`, `packets_received`). */
  readonly received: number;
  readonly packetsReceived: number;
  readonly badLines: number;
  /** received / sent */
  readonly deliveredRatio: number;
  /** Counters whose value in the daemon equals what was sent to it. */
  readonly countersExact: number;
  readonly counters: number;
  /** First send to the moment the daemon had taken all it would (see {@link runStatsdDaemon}). */
  readonly seconds: number;
  /** Lines the daemon took in per second. */
  readonly perSecond: number;
  /** Lines the client sent per second. */
  readonly sentPerSecond: number;
  readonly cpuCores: Readonly<Record<string, number>>;
  /** CPU of the client and the daemon per line the daemon received. */
  readonly cpuUsPerLine: number;
}

const SETTLE_POLL_MS = 100;

/**
 * The end is the first console answer after the client's last packet that shows the daemon's
 * final count (counts polled until two answers agree): what was left in the socket buffer is
 * taken by then, and a packet the kernel dropped never will be.
 */
export async function runStatsdDaemon(
  dir: string,
  spec: WorkloadSpec,
  run: number,
  rate: number,
): Promise<StatsdDaemonRun> {
  const label = `statsd-daemon-udp-${rate > 0 ? 'paced' : 'flood'}-${run}`;
  const daemon = await StatsdDaemon.start(dir);
  let client: BenchChild<GatewayStatsdConfig, GatewayStatsdResult> | undefined;
  try {
    const expectFile = join(dir, `${label}-expect.f64`);
    client = await BenchChild.start<GatewayStatsdConfig, GatewayStatsdResult>(
      './gateway-statsd-client.js',
      { lane: 0, spec, expectFile, transport: 'udp', port: daemon.udpPort, connections: 1, rate },
    );
    const cpu = new CpuMeter(new Map([['statsd-daemon', daemon.pid]]));
    cpu.begin();
    client.go();
    const sent = await client.result;
    let counters = await daemon.counters();
    let endMs = epochMs();
    const received = (c: Map<string, number>): number => c.get('statsd.metrics_received') ?? 0;
    for (;;) {
      await sleep(SETTLE_POLL_MS);
      const again = await daemon.counters();
      if (received(again) === received(counters)) break;
      counters = again;
      endMs = epochMs();
    }
    const usage = cpu.end();
    const seconds = (endMs - sent.firstSendMs) / 1000;
    const expected = readTotals(expectFile, spec.counters, statsdName);
    let countersExact = 0;
    for (const [name, total] of expected) if ((counters.get(name) ?? 0) === total) countersExact++;
    const cpuCores = {
      'client-0': sent.cpuSeconds / seconds,
      // The meter ran a little longer (the settle poll): scaled to the same interval.
      'statsd-daemon': (usage.cores['statsd-daemon']! * usage.seconds) / seconds,
    };
    const got = received(counters);
    return {
      label,
      rate,
      lines: sent.lines,
      packets: sent.sends,
      received: got,
      packetsReceived: counters.get('statsd.packets_received') ?? 0,
      badLines: counters.get('statsd.bad_lines_seen') ?? 0,
      deliveredRatio: got / sent.lines,
      countersExact,
      counters: expected.size,
      seconds,
      perSecond: got / seconds,
      sentPerSecond: sent.lines / ((sent.lastSendMs - sent.firstSendMs) / 1000),
      cpuCores,
      cpuUsPerLine: ((cpuCores['client-0'] + cpuCores['statsd-daemon']) * seconds * 1e6) / got,
    };
  } finally {
    client?.kill();
    daemon.kill();
  }
}
