import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { RingChangeProgress } from '../../../../src/ring-change/index.js';
import {
  RingProgressLine,
  formatRingProgress,
} from '../../../../workers/cli/commands/ring-progress.js';

const moving = (moved: number, rate = 5000): RingChangeProgress => ({
  phase: 'moving',
  moved,
  toMove: 40_000,
  ratePerSecond: rate,
  etaSeconds: (40_000 - moved) / rate,
  jobsLeft: null,
});

function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  return { stream, text: () => chunks.join('') };
}

describe('formatRingProgress', () => {
  it('shows phase, moved/toMove, rate, ETA and jobs left', () => {
    expect(formatRingProgress(moving(12_000))).toBe(
      'ring change: moving 12,000/40,000 (30.0%) | 5,000/s | ETA 6s',
    );
    expect(
      formatRingProgress({
        phase: 'settling',
        moved: 40_000,
        toMove: 40_000,
        ratePerSecond: 0,
        etaSeconds: 0,
        jobsLeft: 12,
      }),
    ).toBe('ring change: settling 40,000/40,000 (100.0%) | jobs left 12');
    expect(
      formatRingProgress({
        phase: 'fencing',
        moved: 0,
        toMove: null,
        ratePerSecond: 0,
        etaSeconds: null,
        jobsLeft: null,
      }),
    ).toBe('ring change: fencing');
  });
});

describe('RingProgressLine', () => {
  it('redraws one line in place on a terminal, at most every interval, and ends it', () => {
    let now = 0;
    const out = sink();
    const line = new RingProgressLine(out.stream, { tty: true, intervalMs: 200, now: () => now });
    line.update(moving(1000));
    now = 50;
    line.update(moving(2000)); // within the interval: not drawn
    now = 300;
    line.update(moving(3000));
    line.stop();
    line.update(moving(4000)); // after stop: ignored
    expect(out.text()).toBe(
      '\rring change: moving 1,000/40,000 (2.5%) | 5,000/s | ETA 8s\x1b[K' +
        '\rring change: moving 3,000/40,000 (7.5%) | 5,000/s | ETA 7s\x1b[K' +
        '\rring change: moving 3,000/40,000 (7.5%) | 5,000/s | ETA 7s\x1b[K\n',
    );
  });

  it('prints plain lines otherwise: each phase at once, the rest every few seconds, no repeat', () => {
    let now = 0;
    const out = sink();
    const line = new RingProgressLine(out.stream, { tty: false, now: () => now });
    line.update({ ...moving(0), phase: 'fencing', toMove: null, etaSeconds: null });
    now = 100;
    line.update(moving(1000)); // a new phase: drawn at once
    now = 2000;
    line.update(moving(2000)); // same phase within 5 s: not drawn
    now = 6000;
    line.update(moving(3000));
    line.stop(); // the last state was drawn: no repeat
    expect(out.text().split('\n')).toEqual([
      'ring change: fencing',
      'ring change: moving 1,000/40,000 (2.5%) | 5,000/s | ETA 8s',
      'ring change: moving 3,000/40,000 (7.5%) | 5,000/s | ETA 7s',
      '',
    ]);
    expect(out.text()).not.toContain('\r');
  });

  it('takes a terminal from the stream isTTY', () => {
    const out = sink();
    Object.assign(out.stream, { isTTY: true });
    const line = new RingProgressLine(out.stream);
    line.update(moving(1));
    expect(out.text().startsWith('\r')).toBe(true);
  });
});
