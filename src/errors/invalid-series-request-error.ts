import { CountdError } from './countd-error.js';

/**
 * A series read (`getSeries`, `getSeriesMany`) was asked for something it cannot answer: a step
 * that is not a configured rollup, a time that is not one, `from` after `to`, too many buckets.
 */
export class InvalidSeriesRequestError extends CountdError {
  /** The option that was wrong: `step`, `from` or `to`. */
  readonly field: string;
  readonly value: unknown;
  readonly reason: string;

  constructor(field: string, value: unknown, reason: string) {
    super(`invalid series request: ${field} ${reason}`);
    this.field = field;
    this.value = value;
    this.reason = reason;
  }
}
