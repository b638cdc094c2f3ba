import { CountdError } from '../../errors/index.js';

/**
 * A reader following the fleet's ring could not read the ring records from the queue Redis
 * (down, timed out, or refusing): it does not know where counters are, so it reads none.
 */
export class RingStateUnavailableError extends CountdError {
  readonly queueName: string;

  constructor(queueName: string, detail: string, cause?: unknown) {
    super(
      `the ring of queue ${JSON.stringify(queueName)} could not be read from the queue Redis: ${detail}`,
      cause === undefined ? undefined : { cause },
    );
    this.queueName = queueName;
  }
}
