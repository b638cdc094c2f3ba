import { CountdError } from './countd-error.js';

/** A counter name is empty, too long, not valid UTF-8 or contains control characters. */
export class InvalidCounterNameError extends CountdError {
  readonly counter: unknown;
  readonly reason: string;

  constructor(counter: unknown, reason: string) {
    super(`invalid counter name ${describe(counter)}: ${reason}`);
    this.counter = counter;
    this.reason = reason;
  }
}

function describe(value: unknown): string {
  if (typeof value !== 'string') return `(${value === null ? 'null' : typeof value})`;
  const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return JSON.stringify(shown);
}
