import { CountdError } from '../../src/errors/index.js';

/** A worker of `countd up` exited before it said "worker started": nothing was left running. */
export class WorkerStartError extends CountdError {
  /** Index of the worker (its log is `<dataDir>/worker-<index>.log`). */
  readonly worker: number;
  /** Its exit code; 2 means it refused the configuration. Null when it was killed or never ran. */
  readonly exitCode: number | null;

  constructor(worker: number, exitCode: number | null, logPath: string) {
    super(
      `worker ${worker} exited with code ${String(exitCode)} before it started; ` +
        `everything was stopped (its log: ${logPath})`,
    );
    this.worker = worker;
    this.exitCode = exitCode;
  }
}
