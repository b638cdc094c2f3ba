import { CountdError } from '../../errors/index.js';

/**
 * A stored counter is outside the safe-integer range (±2^53-1) and the reader returns numbers:
 * returning it would round it. Read it with a reader made with `values: 'bigint'`.
 */
export class UnsafeCounterValueError extends CountdError {
  readonly counter: string;
  readonly node: string;
  /** The exact stored value. */
  readonly value: bigint;

  constructor(counter: string, node: string, value: bigint) {
    super(
      `counter ${JSON.stringify(counter)} on node ${node} is ${value}, outside the safe integer ` +
        "range of a JavaScript number; read it with values: 'bigint'",
    );
    this.counter = counter;
    this.node = node;
    this.value = value;
  }
}
