import { ConfigError } from '../errors/index.js';

/** Longest key prefix, in characters. */
export const MAX_KEY_PREFIX_LENGTH = 64;

// No glob metacharacters (`list` SCANs with MATCH `<prefix>:t:*`), no spaces nor controls;
// `:` for namespaced prefixes (`app:countd`), `{}` for a Redis Cluster hash tag.
const KEY_PREFIX = /^[A-Za-z0-9_.:{}-]+$/;

/** Returns why `prefix` is not a valid storage key prefix, or `undefined`. Never throws. */
export function keyPrefixProblem(prefix: unknown): string | undefined {
  if (typeof prefix !== 'string')
    return `must be a string, got ${prefix === null ? 'null' : typeof prefix}`;
  if (prefix.length === 0 || prefix.length > MAX_KEY_PREFIX_LENGTH || !KEY_PREFIX.test(prefix))
    return `must be 1-${MAX_KEY_PREFIX_LENGTH} characters of [A-Za-z0-9_.:{}-]`;
  return undefined;
}

/** Throws a {@link ConfigError} naming `setting` unless `prefix` is a valid key prefix. */
export function assertKeyPrefix(prefix: unknown, setting: string): asserts prefix is string {
  const problem = keyPrefixProblem(prefix);
  if (problem !== undefined) throw new ConfigError(setting, `"${String(prefix)}" ${problem}`);
}
