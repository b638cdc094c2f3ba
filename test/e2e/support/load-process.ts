import type { LoadSummary } from '../../../workers/cli/commands/load.js';
import { CountdProcess } from './countd-process.js';

/** How a {@link LoadProcess} ended. */
export interface LoadProcessResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly summary: LoadSummary | undefined;
  readonly output: string;
}

// `load: sent 1,200,000/2,000,000 (60.0%) confirmed 1,150,000 failed 0 | 950,000/s | 1.3s`
const PROGRESS = /confirmed ([\d,]+) failed ([\d,]+)/;

/**
 * `countd load <args> --json` running beside the test, with what its progress lines said so
 * far (one every 2 s off a terminal, docs/load.md): a test runs a load larger than it needs and
 * stops it with SIGTERM once its steps are done and enough was confirmed, so every step runs
 * under load however long a loaded machine takes for it. The expect file then lists what was
 * confirmed (a load stopped early exits 0).
 */
export class LoadProcess {
  /** Increments confirmed at the last progress line. */
  confirmed = 0;
  failed = 0;
  readonly done: Promise<LoadProcessResult>;
  private readonly process: CountdProcess;

  constructor(args: readonly string[], env: Readonly<Record<string, string>>, timeoutMs: number) {
    this.process = CountdProcess.start('load', ['load', ...args, '--json'], env, timeoutMs);
    this.process.onLine((line) => {
      const match = PROGRESS.exec(line);
      if (match === null) return;
      this.confirmed = Number(match[1]!.replaceAll(',', ''));
      this.failed = Number(match[2]!.replaceAll(',', ''));
    });
    this.done = this.process.exited.then((exit) => {
      let summary: LoadSummary | undefined;
      try {
        summary = JSON.parse(exit.stdout) as LoadSummary;
      } catch {
        summary = undefined;
      }
      return { code: exit.code, signal: exit.signal, summary, output: this.process.output };
    });
  }

  get running(): boolean {
    return this.process.running;
  }

  /** SIGTERM: it stops generating, settles what it handed over and writes the expect file. */
  stop(): void {
    this.process.signal('SIGTERM');
  }

  /** SIGKILL (cleanup after a failure). */
  async kill(): Promise<void> {
    await this.process.kill();
  }
}
