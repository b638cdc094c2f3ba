import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { scrape, type Sample } from './metrics-scrape.js';

/** `bin/countd.js` of this checkout (build/test/bench → bin). */
const COUNTD_BIN = fileURLToPath(new URL('../../../bin/countd.js', import.meta.url));

export interface WorkerProcessesOptions {
  readonly count: number;
  /** COUNTD_* variables every worker gets (queue, nodes, prefix, flush interval, ...). */
  readonly env: Readonly<Record<string, string>>;
  /** Where each worker's pino log goes (`worker-<i>.log`). */
  readonly logDir: string;
  /** Extra node flags, e.g. `--cpu-prof`. */
  readonly execArgv?: readonly string[];
}

// Every worker still running is SIGKILLed if the bench exits first (one hook for all of them).
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

interface Running {
  child: ChildProcess;
  metricsUrl: string;
  exited: Promise<number | null>;
}

/** Real `countd worker` processes, as deployed: the bench reads them only through /metrics. */
export class WorkerProcesses {
  private constructor(private readonly workers: Running[]) {}

  static async start(options: WorkerProcessesOptions): Promise<WorkerProcesses> {
    const started = await Promise.allSettled(
      Array.from({ length: options.count }, (_, i) => startOne(options, i)),
    );
    const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed !== undefined) {
      for (const w of ok) w.child.kill('SIGKILL');
      throw failed.reason;
    }
    return new WorkerProcesses(ok);
  }

  get pids(): number[] {
    return this.workers.map((w) => w.child.pid!);
  }

  get metricsUrls(): string[] {
    return this.workers.map((w) => w.metricsUrl);
  }

  scrape(): Promise<Sample[]> {
    return scrape(this.metricsUrls);
  }

  /** SIGTERM (drain, final flush) and wait; SIGKILL past `timeoutMs`. Returns exit codes. */
  async stop(timeoutMs = 60_000): Promise<Array<number | null>> {
    for (const w of this.workers) w.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const w of this.workers) w.child.kill('SIGKILL');
    }, timeoutMs);
    try {
      return await Promise.all(this.workers.map((w) => w.exited));
    } finally {
      clearTimeout(timer);
    }
  }
}

async function startOne(options: WorkerProcessesOptions, index: number): Promise<Running> {
  const child = spawn(process.execPath, [...(options.execArgv ?? []), COUNTD_BIN, 'worker'], {
    env: { ...process.env, COUNTD_METRICS_PORT: '0', COUNTD_LOG_LEVEL: 'info', ...options.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  process.once('exit', () => child.kill('SIGKILL'));
  const log = createWriteStream(join(options.logDir, `worker-${index}.log`), { flags: 'a' });
  const lines = createInterface({ input: child.stderr! });
  const metricsUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`worker ${index} did not start in 30 s`)),
      30_000,
    );
    lines.on('line', (line) => {
      log.write(`${line}\n`);
      if (!line.includes('"worker started"')) return;
      const parsed = JSON.parse(line) as { metrics?: string };
      if (parsed.metrics !== undefined) {
        clearTimeout(timer);
        resolve(parsed.metrics);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker ${index} exited (${code}) before starting; see ${options.logDir}`));
    });
  });
  return { child, metricsUrl, exited };
}
