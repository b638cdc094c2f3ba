import { CountdError } from './countd-error.js';

/** A job payload does not follow the `{ v: 1, t, c: [[name, delta], ...] }` format. */
export class MalformedJobError extends CountdError {
  readonly jobId: string | undefined;
  readonly reason: string;

  constructor(reason: string, jobId?: string) {
    super(`malformed job${jobId === undefined ? '' : ` ${jobId}`}: ${reason}`);
    this.jobId = jobId;
    this.reason = reason;
  }
}
