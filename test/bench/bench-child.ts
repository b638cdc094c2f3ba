import { fork, type ChildProcess } from 'node:child_process';

/**
 * Child processes of the bench (producers, direct clients, BullMQ baselines). Each is forked
 * with an IPC channel, gets its config as the first message, answers `ready` once set up,
 * starts on `go` (so all children of a scenario start together) and ends with `done`.
 */
export type ParentMessage<C> = { type: 'config'; config: C } | { type: 'go' };
export type ChildMessage<R> =
  { type: 'ready' } | { type: 'done'; result: R } | { type: 'failed'; error: string };

const live = new Set<ChildProcess>();
let hooked = false;

/** Kills every child still running (by its own pid) when the bench exits or is interrupted. */
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

export class BenchChild<C, R> {
  readonly result: Promise<R>;
  private readyPromise: Promise<void>;

  private constructor(readonly child: ChildProcess) {
    let readyResolve!: () => void;
    let readyReject!: (e: Error) => void;
    this.readyPromise = new Promise<void>((res, rej) => {
      readyResolve = res;
      readyReject = rej;
    });
    this.readyPromise.catch(() => undefined);
    this.result = new Promise<R>((resolve, reject) => {
      child.on('message', (message: ChildMessage<R>) => {
        if (message.type === 'ready') readyResolve();
        else if (message.type === 'done') resolve(message.result);
        else {
          const error = new Error(`bench child ${child.pid}: ${message.error}`);
          readyReject(error);
          reject(error);
        }
      });
      child.once('exit', (code, signal) => {
        live.delete(child);
        const error = new Error(`bench child ${child.pid} exited (${signal ?? code}) early`);
        readyReject(error);
        reject(error);
      });
    });
    this.result.catch(() => undefined);
  }

  /** Forks `script` (a compiled file next to this one) with `config`; resolves once it is ready. */
  static async start<C, R>(
    script: string,
    config: C,
    execArgv: readonly string[] = [],
  ): Promise<BenchChild<C, R>> {
    hookExit();
    const child = fork(new URL(script, import.meta.url), [], {
      execArgv: [...execArgv],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    live.add(child);
    const handle = new BenchChild<C, R>(child);
    child.send({ type: 'config', config } satisfies ParentMessage<C>);
    await handle.readyPromise;
    return handle;
  }

  get pid(): number {
    return this.child.pid!;
  }

  go(): void {
    this.child.send({ type: 'go' } satisfies ParentMessage<C>);
  }

  /** Waits for the process to exit (it exits by itself after `done`). */
  async exited(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await new Promise((resolve) => this.child.once('exit', resolve));
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/**
 * The child side: receives the config, runs `setup`, says ready, waits for `go`, runs `body`,
 * sends its result and exits.
 */
export function childMain<C, S, R>(
  setup: (config: C) => Promise<S>,
  body: (state: S, config: C) => Promise<R>,
): void {
  const send = (message: ChildMessage<R>): Promise<void> =>
    new Promise((resolve) => process.send!(message, () => resolve()));
  let config: C | undefined;
  let state: S | undefined;
  process.on('message', (message: ParentMessage<C>) => {
    void (async () => {
      try {
        if (message.type === 'config') {
          config = message.config;
          state = await setup(config);
          await send({ type: 'ready' });
        } else {
          const result = await body(state as S, config as C);
          await send({ type: 'done', result });
          process.disconnect();
          process.exit(0);
        }
      } catch (err) {
        await send({
          type: 'failed',
          error: err instanceof Error ? (err.stack ?? err.message) : String(err),
        });
        process.exit(1);
      }
    })();
  });
}

/** Epoch milliseconds with sub-millisecond resolution, comparable across processes. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}
