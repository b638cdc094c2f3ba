import { CountdError } from '../../../src/errors/index.js';

/** Why a local `redis-server` did not come up. */
export type LocalRedisStartFailure =
  /** The process exited before it answered. */
  | 'exited'
  /** It did not answer within the start deadline. */
  | 'timeout'
  /** The port is bound by something else (often another Redis). */
  | 'port-in-use';

/** A local `redis-server` failed to start; the message ends with the tail of its log. */
export class LocalRedisStartError extends CountdError {
  readonly reason: LocalRedisStartFailure;
  readonly port: number;
  readonly logFile: string;
  /** The last lines the server wrote, empty if it wrote none or was not spawned. */
  readonly logTail: string;

  /** `logTail` undefined: the server was not spawned, so there is no log to quote. */
  constructor(
    reason: LocalRedisStartFailure,
    detail: string,
    context: { port: number; logFile: string; logTail?: string },
  ) {
    const head = `redis-server on 127.0.0.1:${context.port} did not start: ${detail}`;
    const tail =
      context.logTail === undefined
        ? ''
        : context.logTail === ''
          ? `\n(${context.logFile} is empty)`
          : `\nlast lines of ${context.logFile}:\n${context.logTail}`;
    super(head + tail);
    this.reason = reason;
    this.port = context.port;
    this.logFile = context.logFile;
    this.logTail = context.logTail ?? '';
  }
}
