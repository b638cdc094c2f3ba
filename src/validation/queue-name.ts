import { ConfigError } from '../errors/index.js';

/** Longest queue name, in characters. */
export const MAX_QUEUE_NAME_LENGTH = 64;

// The key prefix's characters but `:`, which BullMQ refuses in a queue name (it separates the
// parts of its own keys).
const QUEUE_NAME = /^[A-Za-z0-9_.{}-]+$/;

/** Returns why `name` is not a valid BullMQ queue name for countd, or `undefined`. Never throws. */
export function queueNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string')
    return `must be a string, got ${name === null ? 'null' : typeof name}`;
  if (name.length === 0 || name.length > MAX_QUEUE_NAME_LENGTH || !QUEUE_NAME.test(name))
    return `must be 1-${MAX_QUEUE_NAME_LENGTH} characters of [A-Za-z0-9_.{}-]`;
  return undefined;
}

/** Throws a {@link ConfigError} naming `setting` unless `name` is a valid queue name. */
export function assertQueueName(name: unknown, setting: string): asserts name is string {
  const problem = queueNameProblem(name);
  if (problem !== undefined) throw new ConfigError(setting, `"${String(name)}" ${problem}`);
}
