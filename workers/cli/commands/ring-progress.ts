import type { RingChangeProgress } from '../../../src/ring-change/index.js';
import { count, duration, movedText } from './ring-status-report.js';

/**
 * Shows a running change's progress on `stream`: one line redrawn in place on a terminal (at
 * most every `intervalMs`), else a line per phase and at most one every few seconds, so a
 * log or CI output stays short and still shows the change is alive.
 */
export class RingProgressLine {
  private readonly tty: boolean;
  private readonly intervalMs: number;
  private last: RingChangeProgress | undefined;
  private drawnAt = Number.NEGATIVE_INFINITY;
  private drawnPhase: string | undefined;
  private drawnLine: string | undefined;
  private stopped = false;
  private readonly now: () => number;

  constructor(
    private readonly stream: NodeJS.WritableStream,
    options: { tty?: boolean; intervalMs?: number; now?: () => number } = {},
  ) {
    this.tty = options.tty ?? (stream as { isTTY?: boolean }).isTTY === true;
    this.intervalMs = options.intervalMs ?? (this.tty ? 200 : 5000);
    this.now = options.now ?? (() => performance.now());
  }

  /** Takes the latest progress; draws it when the phase changed or the interval passed. */
  update(progress: RingChangeProgress): void {
    if (this.stopped) return;
    this.last = progress;
    const at = this.now();
    if (progress.phase === this.drawnPhase && at - this.drawnAt < this.intervalMs) return;
    this.draw(progress, false);
    this.drawnAt = at;
    this.drawnPhase = progress.phase;
  }

  /** Draws the last state and ends the line. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.last !== undefined) this.draw(this.last, true);
  }

  private draw(progress: RingChangeProgress, final: boolean): void {
    const line = formatRingProgress(progress);
    const repeated = line === this.drawnLine;
    this.drawnLine = line;
    if (!this.tty) {
      // A plain line repeated identically says nothing new.
      if (!repeated) this.stream.write(`${line}\n`);
      return;
    }
    this.stream.write(`\r${line}\x1b[K${final ? '\n' : ''}`);
  }
}

/** `ring change: moving 12,000/40,000 (30.0%) | 5,000/s | ETA 6s | jobs left 12` */
export function formatRingProgress(p: RingChangeProgress): string {
  const parts = [`ring change: ${p.phase}`];
  if (p.phase === 'moving' || p.moved > 0 || p.toMove !== null)
    parts[0] += ` ${movedText(p.moved, p.toMove)}`;
  if (p.phase === 'moving') {
    parts.push(`${count(p.ratePerSecond)}/s`);
    if (p.etaSeconds !== null) parts.push(`ETA ${duration(p.etaSeconds)}`);
  }
  if (p.jobsLeft !== null) parts.push(`jobs left ${count(p.jobsLeft)}`);
  return parts.join(' | ');
}
