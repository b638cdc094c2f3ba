import { CountdError } from '../../errors/index.js';

/**
 * A counter's field holds something that is not a signed 64-bit integer. countd never writes
 * such a value (HINCRBY refuses to), so another client wrote it.
 */
export class CorruptCounterValueError extends CountdError {
  readonly counter: string;
  readonly node: string;
  /** What the field holds, cut to 64 characters. */
  readonly stored: string;

  constructor(counter: string, node: string, stored: string) {
    const shown = stored.length > 64 ? `${stored.slice(0, 64)}…` : stored;
    super(
      `counter ${JSON.stringify(counter)} on node ${node} holds ${JSON.stringify(shown)}, ` +
        'not an integer',
    );
    this.counter = counter;
    this.node = node;
    this.stored = shown;
  }
}
