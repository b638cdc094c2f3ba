import { CountdError } from './countd-error.js';

/** A storage node rejected or did not answer a flush. */
export class StorageError extends CountdError {
  readonly node: string;

  constructor(node: string, detail: string, cause?: unknown) {
    super(`storage node ${node}: ${detail}`, cause === undefined ? undefined : { cause });
    this.node = node;
  }
}
