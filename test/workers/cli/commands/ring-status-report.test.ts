import { describe, expect, it } from 'vitest';
import {
  ringRecord,
  type RingChangeRecord,
  type RingState,
} from '../../../../src/ring-change/index.js';
import {
  describeChange,
  duration,
  formatRingStatus,
  ringStatusReport,
} from '../../../../workers/cli/commands/ring-status-report.js';

const v1 = ringRecord({
  version: 1,
  algorithm: 'ketama',
  buckets: 4096,
  prefix: 'countd',
  nodes: [
    { id: 'a', weight: 1, url: 'redis://10.0.0.1:6379' },
    { id: 'b', weight: 1, url: 'redis://10.0.0.2:6379' },
  ],
});
const v2 = ringRecord({
  ...v1,
  version: 2,
  nodes: [...v1.nodes, { id: 'd', weight: 2, url: 'redis://10.0.0.4:6379' }],
});
const NOW = Date.parse('2025-01-02T03:04:05.000Z');

function moving(moved: number, toMove: number | null): RingChangeRecord {
  return {
    kind: 'add',
    from: v1,
    to: v2,
    phase: 'moving',
    startedAt: NOW - 60_000,
    updatedAt: NOW - 500,
    moved,
    toMove,
  };
}

describe('ringStatusReport', () => {
  it('reports the ring, no change, and live workers per version (entries over 15 s old ignored)', () => {
    const state: RingState = { epoch: 7, ring: v1, change: undefined };
    const report = ringStatusReport(
      'countd',
      state,
      [
        { version: 1, at: NOW - 1000 },
        { version: 1, at: NOW - 14_000 },
        { version: 2, at: NOW - 2000 },
        { version: 1, at: NOW - 16_000 },
      ],
      NOW,
    );
    expect(report).toEqual({
      queue: 'countd',
      epoch: 7,
      ring: {
        version: 1,
        fingerprint: v1.fingerprint,
        algorithm: 'ketama',
        buckets: 4096,
        prefix: 'countd',
        nodes: v1.nodes,
      },
      change: null,
      workers: [
        { version: 1, count: 2 },
        { version: 2, count: 1 },
      ],
    });
    const text = formatRingStatus(report);
    expect(text).toMatch(/^ring version 1: ketama, 4096 buckets, prefix countd, fingerprint /);
    expect(text).toMatch(/^a\s+1\s+redis:\/\/10\.0\.0\.1:6379$/m);
    expect(text).toContain('change: none in progress');
    expect(text).toContain('workers: 2 on version 1, 1 on version 2');
  });

  it('measures the rate between two reads and gives an ETA', () => {
    const report = ringStatusReport(
      'countd',
      { epoch: 9, ring: v2, change: moving(30_000, 40_000) },
      [{ version: 2, at: NOW }],
      NOW,
      { moved: 25_000, at: NOW - 1000, to: 2 },
    );
    expect(report.change).toMatchObject({
      kind: 'add',
      description: 'add d (weight 2)',
      from: 1,
      to: 2,
      phase: 'moving',
      moved: 30_000,
      toMove: 40_000,
      ratePerSecond: 5000,
      etaSeconds: 2,
      startedAt: '2025-01-02T03:03:05.000Z',
    });
    const text = formatRingStatus(report);
    expect(text).toContain(
      'change: add d (weight 2) (version 1 → 2), phase moving, started 2025-01-02T03:03:05.000Z',
    );
    expect(text).toContain('moved 30,000/40,000 (75.0%), 5,000/s, ETA 2s');
  });

  it('has no rate or ETA before the total is counted, or without a second read', () => {
    const report = ringStatusReport(
      'countd',
      { epoch: 9, ring: v1, change: { ...moving(0, null), phase: 'fencing' } },
      [],
      NOW,
    );
    expect(report.change).toMatchObject({ ratePerSecond: null, etaSeconds: null, toMove: null });
    const text = formatRingStatus(report);
    expect(text).toContain('moved 0 (total not counted yet)');
    expect(text).toContain('workers: none seen in the last 15 s');
  });

  it('says when no worker has registered a ring', () => {
    const text = formatRingStatus(
      ringStatusReport('q1', { epoch: 0, ring: undefined, change: undefined }, [], NOW),
    );
    expect(text).toContain('queue q1: no ring registered yet');
  });

  it('never shows a password, even one a hand-written record holds', () => {
    const leaky = { ...v1, nodes: [{ id: 'a', weight: 1, url: 'redis://u:hunter2@h:1' }] };
    const report = ringStatusReport('q', { epoch: 1, ring: leaky, change: undefined }, [], NOW);
    expect(JSON.stringify(report)).not.toContain('hunter2');
    expect(formatRingStatus(report)).not.toContain('hunter2');
  });
});

describe('describeChange', () => {
  it('names what changed', () => {
    expect(describeChange(v1, v2)).toBe('add d (weight 2)');
    expect(describeChange(v2, v1)).toBe('remove d');
    const heavier = ringRecord({
      ...v1,
      version: 2,
      nodes: [v1.nodes[0]!, { ...v1.nodes[1]!, weight: 3 }],
    });
    expect(describeChange(v1, heavier)).toBe('reweight b 1 → 3');
    expect(describeChange(v1, ringRecord({ ...v1, version: 2, buckets: 8192 }))).toBe(
      'layout 4096 → 8192 buckets',
    );
  });
});

describe('duration', () => {
  it('reads as seconds, minutes or hours', () => {
    expect(duration(4.4)).toBe('4s');
    expect(duration(725)).toBe('12m 5s');
    expect(duration(7380)).toBe('2h 3m');
  });
});
