import { CountdError } from '../../errors/index.js';

/** A line of a live-update message is not `name<TAB>value`: it is skipped, the rest delivered. */
export class MalformedUpdateError extends CountdError {
  readonly node: string;
  /** The offending line, cut to 120 characters. */
  readonly line: string;
  readonly reason: string;

  constructor(node: string, line: string, reason: string) {
    const shown = line.length > 120 ? `${line.slice(0, 120)}…` : line;
    super(`update from node ${node} skipped: ${reason}: ${JSON.stringify(shown)}`);
    this.node = node;
    this.line = shown;
    this.reason = reason;
  }
}
