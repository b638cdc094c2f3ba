import { readFileSync } from 'node:fs';

// Linux reports utime/stime in clock ticks; USER_HZ is 100 on every mainstream kernel build.
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used so far, or undefined once it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) this process used since `start` (a `process.cpuUsage()`). */
export function ownCpuSecondsSince(start: NodeJS.CpuUsage): number {
  const cpu = process.cpuUsage(start);
  return (cpu.user + cpu.system) / 1e6;
}

/** Resident set size in bytes (VmRSS), or undefined once the process is gone. */
export function rssBytes(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match === null ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/** CPU seconds the whole machine spent busy (all cores), from /proc/stat. */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  const busy = v[0]! + v[1]! + v[2]! + v[5]! + v[6]! + (v[7] ?? 0);
  return busy / TICKS_PER_SECOND;
}

/** A labelled set of processes whose CPU use over an interval is wanted. */
export class CpuMeter {
  private readonly start = new Map<string, number>();
  private machineStart = 0;
  private wallStart = 0;

  constructor(private readonly pids: ReadonlyMap<string, number>) {}

  begin(): void {
    this.wallStart = performance.now();
    this.machineStart = machineBusySeconds();
    for (const [label, pid] of this.pids) this.start.set(label, cpuSeconds(pid) ?? 0);
  }

  /** Per label, CPU used since {@link begin} as a share of one core (1 = one core busy). */
  end(): { cores: Record<string, number>; machineCores: number; seconds: number } {
    const seconds = (performance.now() - this.wallStart) / 1000;
    const cores: Record<string, number> = {};
    for (const [label, pid] of this.pids) {
      const used = (cpuSeconds(pid) ?? this.start.get(label)!) - this.start.get(label)!;
      cores[label] = seconds > 0 ? used / seconds : 0;
    }
    const machineCores = seconds > 0 ? (machineBusySeconds() - this.machineStart) / seconds : 0;
    return { cores, machineCores, seconds };
  }
}

/** Samples the RSS of some processes every `intervalMs` and keeps the peak of each. */
export class RssSampler {
  private readonly peaks = new Map<number, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pids: () => readonly number[],
    intervalMs = 100,
  ) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
    this.sample();
  }

  sample(): void {
    for (const pid of this.pids()) {
      const rss = rssBytes(pid);
      if (rss !== undefined && rss > (this.peaks.get(pid) ?? 0)) this.peaks.set(pid, rss);
    }
  }

  /** Highest RSS seen of any one process. */
  peak(): number {
    this.sample();
    return Math.max(0, ...this.peaks.values());
  }

  stop(): number {
    clearInterval(this.timer);
    return this.peak();
  }
}

/** What a metered process is, for CPU per increment summed per kind. */
export const PROCESS_KINDS = ['producers', 'workers', 'queue', 'nodes', 'other'] as const;
export type ProcessKind = (typeof PROCESS_KINDS)[number];

/**
 * The kind of a metered process from its label: `producer-N` and `client-N` are the
 * application side (a baseline's clients do what S1's producers do), `worker-N` consumers,
 * `redis-queue` the queue, `redis-node-X` storage; anything else (replicas, redis-benchmark)
 * is `other`, still in the total.
 */
export function processKind(label: string): ProcessKind {
  if (label.includes('replica')) return 'other';
  if (label.startsWith('producer-') || label.startsWith('client-')) return 'producers';
  if (label.startsWith('worker-')) return 'workers';
  if (label === 'redis-queue') return 'queue';
  if (label.startsWith('redis-node-')) return 'nodes';
  return 'other';
}

/** CPU-µs per increment of each process kind and of all of them (`total`). */
export type CpuByKind = Readonly<Record<ProcessKind | 'total', number>>;

/**
 * CPU-µs per increment per process kind, from the cores each process used over `seconds`
 * (a run's `cpuCores`): the figure that does not depend on how busy the box is.
 */
export function cpuUsPerIncrementByKind(
  cpuCores: Readonly<Record<string, number>>,
  seconds: number,
  increments: number,
): CpuByKind {
  const out: Record<ProcessKind | 'total', number> = {
    producers: 0,
    workers: 0,
    queue: 0,
    nodes: 0,
    other: 0,
    total: 0,
  };
  const scale = increments > 0 ? (seconds * 1e6) / increments : NaN;
  for (const [label, cores] of Object.entries(cpuCores)) {
    out[processKind(label)] += cores * scale;
    out.total += cores * scale;
  }
  return out;
}

/** Field by field median of several runs' {@link CpuByKind}. */
export function medianByKind(
  runs: readonly CpuByKind[],
  median: (v: number[]) => number,
): CpuByKind {
  const out: Record<ProcessKind | 'total', number> = {
    producers: NaN,
    workers: NaN,
    queue: NaN,
    nodes: NaN,
    other: NaN,
    total: NaN,
  };
  for (const k of [...PROCESS_KINDS, 'total'] as const) out[k] = median(runs.map((r) => r[k]));
  return out;
}
