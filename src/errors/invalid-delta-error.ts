import { CountdError } from './countd-error.js';

/** A delta is not a safe integer. */
export class InvalidDeltaError extends CountdError {
  readonly counter: string;
  readonly delta: unknown;

  constructor(counter: string, delta: unknown, reason: string) {
    super(`invalid delta for ${JSON.stringify(counter)}: ${reason}`);
    this.counter = counter;
    this.delta = delta;
  }
}
