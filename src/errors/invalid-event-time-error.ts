import { CountdError } from './countd-error.js';

/**
 * An increment's event time (`at`) is refused: not a time, more than 5 minutes ahead of the
 * producer's clock, or in another minute than now while the fleet reads only payload version 1.
 */
export class InvalidEventTimeError extends CountdError {
  readonly counter: string;
  readonly at: unknown;
  readonly reason: string;

  constructor(counter: string, at: unknown, reason: string) {
    super(`invalid event time for ${JSON.stringify(counter)}: ${reason}`);
    this.counter = counter;
    this.at = at;
    this.reason = reason;
  }
}
