import { InvalidCounterNameError } from '../errors/index.js';

/** Longest counter name, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 512;

// C0, DEL and C1 controls. Tabs and newlines are excluded too: they separate fields in
// published updates and line-oriented CLI input.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

// A UTF-16 surrogate without its pair cannot be encoded as UTF-8.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Returns why `name` is not a valid counter name, or `undefined` when it is. Never throws. */
export function counterNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string')
    return `must be a string, got ${name === null ? 'null' : typeof name}`;
  if (name.length === 0) return 'must not be empty';
  // A UTF-16 code unit becomes at most 3 UTF-8 bytes: skip the byte count for short names.
  if (name.length * 3 > MAX_NAME_BYTES && Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) {
    return `is longer than ${MAX_NAME_BYTES} bytes in UTF-8`;
  }
  if (CONTROL.test(name)) return 'contains a control character';
  if (LONE_SURROGATE.test(name)) return 'is not valid UTF-8 (lone surrogate)';
  return undefined;
}

/** Throws {@link InvalidCounterNameError} unless `name` is a valid counter name. */
export function assertCounterName(name: unknown): asserts name is string {
  const problem = counterNameProblem(name);
  if (problem !== undefined) throw new InvalidCounterNameError(name, problem);
}
