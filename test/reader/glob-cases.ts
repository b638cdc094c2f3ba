/**
 * Redis glob cases shared by the unit test (JS matcher against `expected`) and the Redis test
 * (HSCAN MATCH on a real server against the same `expected`): both must agree with the table.
 */
export const GLOB_CASES: ReadonlyArray<
  readonly [pattern: string, text: string, expected: boolean]
> = [
  // literals and *
  ['page:home', 'page:home', true],
  ['page:home', 'page:hom', false],
  ['page:home', 'page:homes', false],
  ['page:*', 'page:home', true],
  ['page:*', 'page:', true],
  ['page:*', 'pag', false],
  ['*:home', 'page:home', true],
  ['*', 'anything', true],
  ['**', 'x', true],
  ['a*b*c', 'abc', true],
  ['a*b*c', 'aXbYc', true],
  ['a*b*c', 'aXbY', false],
  ['a*a*a*a*b', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', false],
  ['*a', 'ba', true],
  ['*a', 'ab', false],
  // ?
  ['p?ge', 'page', true],
  ['p?ge', 'pge', false],
  ['???', 'abc', true],
  ['???', 'ab', false],
  // UTF-8: Redis matches bytes, é is 2 of them
  ['?', 'é', false],
  ['??', 'é', true],
  ['caf?', 'café', false],
  ['caf??', 'café', true],
  ['caf*', 'café', true],
  ['日*', '日本', true],
  // sets and ranges
  ['[abc]', 'b', true],
  ['[abc]', 'd', false],
  ['[^abc]', 'd', true],
  ['[^abc]', 'a', false],
  ['[a-c]x', 'bx', true],
  ['[a-c]x', 'dx', false],
  ['[c-a]', 'b', true],
  ['user:[0-9]', 'user:7', true],
  ['user:[0-9]', 'user:x', false],
  // [a-] is the range a..] (reversed: ]^_`a), the ] being taken as its end
  ['[a-]', 'b', false],
  ['[a-]', ']', true],
  ['[a-]', '^', true],
  ['[a-]', '-', false],
  ['[]]', ']', false],
  ['[\\]]', ']', true],
  ['[\\-]', '-', true],
  ['[ab', 'a', true],
  ['[ab', 'c', false],
  ['[', 'a', false],
  ['[^', 'z', true],
  ['x[]', 'x', false],
  // escapes
  ['\\*', '*', true],
  ['\\*', 'a', false],
  ['a\\?', 'a?', true],
  ['a\\?', 'ab', false],
  ['\\[x]', '[x]', true],
  ['\\\\', '\\', true],
  ['a\\', 'a\\', true],
  ['\\a', 'a', true],
  // metacharacters as text
  ['*]*', 'a]b', true],
  ['^x', '^x', true],
  ['a-b', 'a-b', true],
];

/**
 * Ranges with a byte >= 0x80 at one end: Redis compares C chars, signed on x86-64, so
 * `[a-é]` (a..0xC3) is the range 0xC3..a: every ASCII byte up to `a` and 0xC3..0xFF.
 */
export const SIGNED_CHAR_CASES: ReadonlyArray<readonly [string, string, boolean]> = [
  ['[a-é]', 'A', true],
  ['[a-é]', 'b', false],
  ['[a-é]', 'a', true],
];

/** More names for the Redis comparison: every pattern above is run against all of these too. */
export const GLOB_SUBJECTS: readonly string[] = [
  'a',
  'b',
  'c',
  'z',
  'ab',
  'abc',
  'aXbYc',
  'ba',
  'page',
  'page:home',
  'page:',
  'user:7',
  'user:x',
  'é',
  'café',
  '日本',
  '*',
  '?',
  '[',
  ']',
  '-',
  '^',
  '\\',
  'a?',
  '[x]',
  'a]b',
  'x',
  'x[]',
  'a-b',
];
