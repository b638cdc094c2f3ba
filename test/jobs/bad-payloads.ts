/**
 * Malformed job payloads, each with what its rejection reason must say. Shared by the unit
 * test of parseJobPayload and the worker suite that sends them through BullMQ, so `json` marks
 * the cases that survive BullMQ's JSON round trip unchanged (NaN, Infinity, bigint, undefined
 * and sparse arrays do not).
 */
import { MAX_JOB_PAIRS } from '../../src/jobs/index.js';

export interface BadPayload {
  readonly label: string;
  readonly data: unknown;
  /** Every pattern must match the reason. */
  readonly reason: readonly RegExp[];
  readonly json: boolean;
}

const T = 1_700_000_000_000;
const ok = (c: unknown[]): unknown => ({ v: 1, t: T, c });
/** A payload whose pair 2 is `pair`, after two good pairs, so the index in the reason is checked. */
const atPair2 = (pair: unknown): unknown => ok([['good-0', 1], ['good-1', 2], pair]);
/** Pair 2 named `name`; the reason must match `reason`. */
const badName = (label: string, name: unknown, reason: RegExp): BadPayload => ({
  label,
  data: atPair2([name, 1]),
  reason: [reason],
  json: true,
});
/** Pair 2 with delta `delta`; `json` false when BullMQ's JSON round trip would change it. */
const badDelta = (label: string, delta: unknown, reason: RegExp, json = true): BadPayload => ({
  label,
  data: atPair2(['counter', delta]),
  reason: [reason],
  json,
});

const withHoleAt1: unknown[] = [['a', 1]];
withHoleAt1[2] = ['b', 1];

const tooManyPairs = Array.from({ length: MAX_JOB_PAIRS + 1 }, (_, i) => [`p${i}`, 1]);

export const BAD_PAYLOADS: readonly BadPayload[] = [
  // The envelope
  { label: 'a string', data: 'hello', reason: [/must be an object/, /"hello"/], json: true },
  { label: 'a number', data: 42, reason: [/must be an object/, /number 42/], json: true },
  { label: 'null', data: null, reason: [/must be an object/, /null/], json: true },
  {
    label: 'an array',
    data: [['a', 1]],
    reason: [/must be an object/, /array of 1/],
    json: true,
  },
  {
    label: 'version 3',
    data: { v: 3, t: T, c: [] },
    reason: [/version number 3 \(expected 1 or 2\)/],
    json: true,
  },
  {
    label: 'version "1"',
    data: { v: '1', t: T, c: [] },
    reason: [/version "1" \(expected 1 or 2\)/],
    json: true,
  },
  {
    label: 'no version',
    data: { t: T, c: [] },
    reason: [/version undefined \(expected 1 or 2\)/],
    json: true,
  },
  {
    label: 'missing t',
    data: { v: 1, c: [] },
    reason: [/"t" must be epoch milliseconds, got undefined$/],
    json: true,
  },
  {
    label: 'negative t',
    data: { v: 1, t: -5, c: [] },
    reason: [/"t" must be epoch milliseconds/, /-5/],
    json: true,
  },
  {
    label: 'float t',
    data: { v: 1, t: 1.5, c: [] },
    reason: [/"t" must be epoch milliseconds/, /1\.5/],
    json: true,
  },
  {
    label: 't as a string',
    data: { v: 1, t: String(T), c: [] },
    reason: [/"t" must be epoch milliseconds, got "1700000000000"/],
    json: true,
  },
  {
    label: 'c missing',
    data: { v: 1, t: T },
    reason: [/"c" must be an array of \[name, delta\], got undefined$/],
    json: true,
  },
  {
    label: 'c an object',
    data: { v: 1, t: T, c: { a: 1 } },
    reason: [/"c" must be an array/, /an object/],
    json: true,
  },
  {
    label: `more than MAX_JOB_PAIRS (${MAX_JOB_PAIRS}) pairs`,
    data: ok(tooManyPairs),
    reason: [new RegExp(`${MAX_JOB_PAIRS + 1} pairs`), new RegExp(`more than ${MAX_JOB_PAIRS}`)],
    json: true,
  },
  // Pairs
  {
    label: 'pair not an array',
    data: atPair2({ name: 'x', delta: 1 }),
    reason: [/pair 2 must be \[name, delta\]/],
    json: true,
  },
  {
    label: 'pair a string',
    data: atPair2('x'),
    reason: [/pair 2 must be \[name, delta\]/],
    json: true,
  },
  {
    label: 'pair of 1',
    data: atPair2(['x']),
    reason: [/pair 2 must be/, /array of 1/],
    json: true,
  },
  {
    label: 'pair of 3',
    data: atPair2(['x', 1, 2]),
    reason: [/pair 2 must be/, /array of 3/],
    json: true,
  },
  { label: 'pair null', data: atPair2(null), reason: [/pair 2 must be/, /null/], json: true },
  // Names
  badName('empty name', '', /pair 2: counter name must not be empty/),
  badName(
    'name of 513 ASCII bytes',
    'x'.repeat(513),
    /pair 2: counter name is longer than 512 bytes/,
  ),
  badName(
    "name of 171 × '€' (513 UTF-8 bytes, 171 UTF-16 units)",
    '€'.repeat(171),
    /pair 2: counter name is longer than 512 bytes/,
  ),
  badName(
    'name of 129 emoji (516 UTF-8 bytes)',
    '😀'.repeat(129),
    /pair 2: counter name is longer than 512 bytes/,
  ),
  badName('name with \\0', 'a\0b', /pair 2: counter name contains a control/),
  badName('name with \\n', 'a\nb', /pair 2: counter name contains a control/),
  badName('name with \\t', 'a\tb', /pair 2: counter name contains a control/),
  badName('name with \\x7f', 'a\x7fb', /pair 2: counter name contains a control/),
  badName('name with \\x85 (NEL)', 'a\x85b', /pair 2: counter name contains a control/),
  badName(
    'name with a lone high surrogate',
    'a\ud800b',
    /pair 2: counter name is not valid UTF-8 \(lone surrogate\)/,
  ),
  badName('name with a lone low surrogate', 'a\udc00', /pair 2: counter name is not valid UTF-8/),
  badName(
    'name with a reversed surrogate pair',
    '\ude00\ud83d',
    /pair 2: counter name is not valid UTF-8/,
  ),
  badName('name a number', 7, /pair 2: counter name must be a string, got number/),
  badName('name null', null, /pair 2: counter name must be a string, got null/),
  badName('name an array', ['a'], /pair 2: counter name must be a string, got object/),
  // Deltas
  badDelta('delta float', 1.5, /pair 2 \(counter\): delta 1\.5 is not an integer/),
  badDelta('delta string "1"', '1', /pair 2 \(counter\): delta must be a number, got string/),
  badDelta('delta null', null, /pair 2 \(counter\): delta must be a number, got null/),
  badDelta('delta boolean', true, /pair 2 \(counter\): delta must be a number, got boolean/),
  badDelta('delta an object', { n: 1 }, /pair 2 \(counter\): delta must be a number, got object/),
  badDelta(
    'delta 2^53',
    2 ** 53,
    /pair 2 \(counter\): delta 9007199254740992 is outside the safe integer range/,
  ),
  badDelta(
    'delta -2^53',
    -(2 ** 53),
    /pair 2 \(counter\): delta -9007199254740992 is outside the safe integer range/,
  ),
  badDelta('delta 1e300', 1e300, /pair 2 \(counter\): delta .* is outside the safe integer range/),
  // Not representable in JSON: checked by the unit test only.
  badDelta('delta NaN', Number.NaN, /pair 2 \(counter\): delta NaN is not an integer/, false),
  badDelta(
    'delta Infinity',
    Number.POSITIVE_INFINITY,
    /pair 2 \(counter\): delta Infinity is not an integer/,
    false,
  ),
  badDelta(
    'delta -Infinity',
    Number.NEGATIVE_INFINITY,
    /pair 2 \(counter\): delta -Infinity is not an integer/,
    false,
  ),
  badDelta('delta bigint', 1n, /pair 2 \(counter\): delta must be a number, got bigint/, false),
  badDelta(
    'delta undefined',
    undefined,
    /pair 2 \(counter\): delta must be a number, got undefined/,
    false,
  ),
  {
    label: 't NaN',
    data: { v: 1, t: Number.NaN, c: [] },
    reason: [/"t" must be epoch milliseconds/, /NaN/],
    json: false,
  },
  {
    label: 'a hole in c',
    data: ok(withHoleAt1),
    reason: [/pair 1 must be \[name, delta\], got undefined$/],
    json: false,
  },
];

/** Payloads that are valid, at the edges of the rules. */
export const GOOD_EDGE_NAMES: readonly string[] = [
  'x'.repeat(512),
  '€'.repeat(170), // 510 UTF-8 bytes
  '😀'.repeat(128), // 512 UTF-8 bytes in 256 UTF-16 units
  'emoji 😀 pair',
  'spaces and ünïcödé and 中文',
  'a:b{c}*?[]',
  '\u00a0nbsp and \u2028 separator',
];
