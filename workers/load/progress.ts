import type { LoadProgress } from './load-generator.js';

/** A running progress display; `stop()` draws the last state and ends the line. */
export interface ProgressDisplay {
  stop(): void;
}

/**
 * Shows load progress on `stream`: redrawn in place several times a second on a terminal,
 * one line every few seconds otherwise (logs, CI), so a long run is visibly alive either way.
 */
export function startProgress(
  stream: NodeJS.WritableStream,
  read: () => LoadProgress,
  options: { tty?: boolean; intervalMs?: number } = {},
): ProgressDisplay {
  const tty = options.tty ?? (stream as { isTTY?: boolean }).isTTY === true;
  const intervalMs = options.intervalMs ?? (tty ? 200 : 2000);
  let last = { sent: 0, seconds: 0 };
  const draw = (final: boolean) => {
    const now = read();
    const dt = now.seconds - last.seconds;
    const rate = final
      ? now.sent / Math.max(now.seconds, 1e-9)
      : (now.sent - last.sent) / Math.max(dt, 1e-9);
    last = { sent: now.sent, seconds: now.seconds };
    const line = formatProgress(now, rate);
    stream.write(tty ? `\r${line}\x1b[K${final ? '\n' : ''}` : `${line}\n`);
  };
  const timer = setInterval(() => draw(false), intervalMs);
  timer.unref();
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      draw(true);
    },
  };
}

/** `load: sent 1,200,000/2,000,000 (60.0%) confirmed 1,150,000 failed 0 | 950,000/s | 1.3s` */
export function formatProgress(p: LoadProgress, rate: number): string {
  const percent = p.total === 0 ? 100 : (p.sent / p.total) * 100;
  return (
    `load: sent ${count(p.sent)}/${count(p.total)} (${percent.toFixed(1)}%) ` +
    `confirmed ${count(p.confirmed)} failed ${count(p.failed)} | ` +
    `${count(Math.round(rate))}/s | ${p.seconds.toFixed(1)}s`
  );
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}
