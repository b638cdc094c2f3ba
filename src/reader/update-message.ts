import { counterNameProblem } from '../validation/index.js';
import { parseStoredInteger } from './counter-value.js';

/** A line of an update message that could not be read, and why. */
export interface UpdateProblem {
  readonly line: string;
  readonly reason: string;
}

/** What {@link parseUpdateMessage} found: the updates, in message order, and the bad lines. */
export interface ParsedUpdates {
  readonly updates: Array<[name: string, value: bigint]>;
  readonly problems: UpdateProblem[];
}

/**
 * Parses a message of the `<prefix>:updates` channel, as the apply script publishes it: lines
 * `name<TAB>value` joined by `\n`, value a signed 64-bit decimal. Never throws: a line that is
 * not of that form is reported and the others are kept (each line stands on its own).
 */
export function parseUpdateMessage(message: string): ParsedUpdates {
  const updates: Array<[string, bigint]> = [];
  const problems: UpdateProblem[] = [];
  let start = 0;
  while (start <= message.length) {
    let end = message.indexOf('\n', start);
    if (end === -1) end = message.length;
    const line = message.slice(start, end);
    start = end + 1;
    if (line === '' && end === message.length) break; // trailing newline or empty message
    const tab = line.lastIndexOf('\t');
    if (tab === -1) {
      problems.push({ line, reason: 'no tab between name and value' });
      continue;
    }
    const name = line.slice(0, tab);
    const nameProblem = counterNameProblem(name);
    if (nameProblem !== undefined) {
      problems.push({ line, reason: `counter name ${nameProblem}` });
      continue;
    }
    const value = parseStoredInteger(line.slice(tab + 1));
    if (value === undefined) {
      problems.push({ line, reason: 'value is not a signed 64-bit integer' });
      continue;
    }
    updates.push([name, value]);
  }
  return { updates, problems };
}
