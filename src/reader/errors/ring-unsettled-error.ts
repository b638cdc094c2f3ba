import { CountdError } from '../../errors/index.js';

/**
 * The fleet's ring moved during every attempt of a read (the ring epoch changed between the
 * start and the end of each): the reader gave up rather than return a value that mixes two
 * placements. Retry later; a ring change moves the epoch only a few times.
 */
export class RingUnsettledError extends CountdError {
  readonly queueName: string;
  readonly attempts: number;

  constructor(queueName: string, attempts: number) {
    super(
      `the ring of queue ${JSON.stringify(queueName)} changed during each of ${attempts} ` +
        'attempts of a read; retry it',
    );
    this.queueName = queueName;
    this.attempts = attempts;
  }
}
