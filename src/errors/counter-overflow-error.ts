import { CountdError } from './countd-error.js';

/** Applying a delta would take a stored counter outside the signed 64-bit range. */
export class CounterOverflowError extends CountdError {
  readonly counter: string;
  readonly node: string;

  constructor(counter: string, node: string, detail: string) {
    super(`counter ${JSON.stringify(counter)} on node ${node} not updated: ${detail}`);
    this.counter = counter;
    this.node = node;
  }
}
