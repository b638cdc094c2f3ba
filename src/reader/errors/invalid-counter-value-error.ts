import { CountdError } from '../../errors/index.js';

/** A value given to `set` is not a safe integer (number) or a signed 64-bit integer (bigint). */
export class InvalidCounterValueError extends CountdError {
  readonly counter: string;
  readonly value: unknown;
  readonly reason: string;

  constructor(counter: string, value: unknown, reason: string) {
    super(`invalid value for ${JSON.stringify(counter)}: ${reason}`);
    this.counter = counter;
    this.value = value;
    this.reason = reason;
  }
}
