import { scrapeAll } from './metrics-text.js';

/** Figures between two scrapes of the workers' /metrics. */
export interface StackStatus {
  readonly inPerSecond: number;
  readonly flushedPerSecond: number;
  readonly received: number;
  readonly flushed: number;
  readonly meanLagMs: number;
  readonly bufferCounters: number;
  readonly heldJobs: number;
  readonly oldestUnflushedMs: number;
}

/** Polls the workers' metrics and turns counters into rates. */
export class StatusPoller {
  private last: { at: number; samples: Map<string, number> } | undefined;

  constructor(private readonly metricsUrls: () => readonly string[]) {}

  async poll(): Promise<StackStatus | undefined> {
    const samples = await scrapeAll(this.metricsUrls());
    const at = performance.now();
    const previous = this.last;
    this.last = { at, samples };
    if (previous === undefined) return undefined;
    const seconds = Math.max(0.001, (at - previous.at) / 1000);
    const get = (m: Map<string, number>, name: string) => m.get(name) ?? 0;
    const delta = (name: string) => Math.max(0, get(samples, name) - get(previous.samples, name));
    const lagCount = delta('countd_lag_seconds_count');
    return {
      inPerSecond: delta('countd_increments_received_total') / seconds,
      flushedPerSecond: delta('countd_increments_flushed_total') / seconds,
      received: get(samples, 'countd_increments_received_total'),
      flushed: get(samples, 'countd_increments_flushed_total'),
      meanLagMs: lagCount === 0 ? 0 : (delta('countd_lag_seconds_sum') / lagCount) * 1000,
      bufferCounters: get(samples, 'countd_buffer_counters'),
      heldJobs: get(samples, 'countd_buffer_jobs'),
      oldestUnflushedMs: get(samples, 'countd_oldest_unflushed_age_seconds') * 1000,
    };
  }
}

/** One line: "in 12.3k/s  flushed 12.1k/s  lag 540 ms  buffer 1,024 counters / 12 jobs". */
export function formatStatus(s: StackStatus): string {
  return (
    `in ${rate(s.inPerSecond)}/s  flushed ${rate(s.flushedPerSecond)}/s  ` +
    `total ${s.flushed.toLocaleString('en-US')}  lag ${Math.round(s.meanLagMs)} ms  ` +
    `buffer ${s.bufferCounters.toLocaleString('en-US')} counters / ${s.heldJobs} jobs`
  );
}

function rate(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return value.toFixed(0);
}
