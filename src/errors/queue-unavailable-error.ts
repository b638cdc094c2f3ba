import { CountdError } from './countd-error.js';

/** The producer could not get a batch durably into the queue within its deadline. */
export class QueueUnavailableError extends CountdError {
  readonly jobId: string;
  readonly increments: number;

  constructor(jobId: string, increments: number, detail: string, cause?: unknown) {
    super(
      `batch ${jobId} (${increments} increments) not confirmed by the queue: ${detail}`,
      cause === undefined ? undefined : { cause },
    );
    this.jobId = jobId;
    this.increments = increments;
  }
}
