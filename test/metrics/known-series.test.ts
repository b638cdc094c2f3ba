import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ProducerMetrics, WorkerMetrics } from '../../src/metrics/index.js';

// A counter series born at 1 shows no rise to rate()/increase(): the first failure would never
// fire an alert. Known label values therefore exist at 0 from the start.
describe('known labelled series start at 0', () => {
  it('worker: per node and per reason', async () => {
    const metrics = new WorkerMetrics(new Registry());
    metrics.initSeries(['a', 'b'], ['timeout', 'connection']);
    const text = await metrics.registry.metrics();
    for (const line of [
      'countd_jobs_failed_total{reason="malformed"} 0',
      'countd_jobs_failed_total{reason="refused"} 0',
      'countd_storage_commands_total{node="b"} 0',
      'countd_duplicate_parts_skipped_total{node="a"} 0',
      'countd_flush_errors_total{node="b",reason="connection"} 0',
      'countd_ring_fenced_applies_total{node="a"} 0',
      'countd_ring_switches_total 0',
      // No change in progress (no worker observed): every phase 0, nothing to move.
      'countd_ring_change_phase{phase="fencing"} 0',
      'countd_ring_change_phase{phase="cleanup"} 0',
      'countd_ring_change_counters_moved 0',
      'countd_ring_change_counters_to_move 0',
      // Without rollups too: every granularity at 0.
      'countd_rollup_bucket_writes_total{granularity="minute"} 0',
      'countd_rollup_increments_too_old_total{granularity="day"} 0',
    ]) {
      expect(text).toContain(line);
    }
  });

  it('producer: refused and unavailable', async () => {
    const metrics = new ProducerMetrics(new Registry());
    const text = await metrics.registry.metrics();
    expect(text).toContain('countd_enqueue_errors_total{reason="full"} 0');
    expect(text).toContain('countd_enqueue_errors_total{reason="unavailable"} 0');
  });
});
