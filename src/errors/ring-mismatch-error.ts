import { CountdError } from './countd-error.js';

/** This worker's ring differs from the one the fleet registered in the queue Redis. */
export class RingMismatchError extends CountdError {
  readonly expected: string;
  readonly actual: string;
  readonly differences: readonly string[];

  constructor(expected: string, actual: string, differences: readonly string[]) {
    super(
      `ring fingerprint ${actual} differs from the fleet's ${expected}: ${differences.join('; ')}. ` +
        'Every worker of a fleet must use the same nodes, weights, points and layout; ' +
        'changing the ring is a migration, not a restart.',
    );
    this.expected = expected;
    this.actual = actual;
    this.differences = differences;
  }
}
