import { CountdError } from './countd-error.js';

/** A method was called on a producer, worker or reader after `close()`. */
export class ClosedError extends CountdError {
  constructor(what: string) {
    super(`${what} is closed`);
  }
}
