import { CountdError } from '../../errors/index.js';

/** A `list` cursor was not produced by `list` (or by a reader with other nodes). */
export class InvalidCursorError extends CountdError {
  readonly cursor: string;

  constructor(cursor: string, reason: string) {
    super(`invalid list cursor: ${reason}`);
    this.cursor = cursor;
  }
}
