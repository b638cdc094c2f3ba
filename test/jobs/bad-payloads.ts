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
const nameAt2 = (name: unknown): unknown => atPair2([name, 1]);
const deltaAt2 = (delta: unknown): unknown => atPair2(['counter', delta]);

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
    label: 'version 2',
    data: { v: 2, t: T, c: [] },
    reason: [/version number 2 \(expected 1\)/],
    json: true,
  },
  {
    label: 'version "1"',
    data: { v: '1', t: T, c: [] },
    reason: [/version "1" \(expected 1\)/],
    json: true,
  },
  {
    label: 'no version',
    data: { t: T, c: [] },
    reason: [/version undefined \(expected 1\)/],
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
  {
    label: 'empty name',
    data: nameAt2(''),
    reason: [/pair 2: counter name must not be empty/],
    json: true,
  },
  {
    label: 'name of 513 ASCII bytes',
    data: nameAt2('x'.repeat(513)),
    reason: [/pair 2: counter name is longer than 512 bytes/],
    json: true,
  },
  {
    label: "name of 171 × '€' (513 UTF-8 bytes, 171 UTF-16 units)",
    data: nameAt2('€'.repeat(171)),
    reason: [/pair 2: counter name is longer than 512 bytes/],
    json: true,
  },
  {
    label: 'name of 129 emoji (516 UTF-8 bytes)',
    data: nameAt2('😀'.repeat(129)),
    reason: [/pair 2: counter name is longer than 512 bytes/],
    json: true,
  },
  {
    label: 'name with \\0',
    data: nameAt2('a\0b'),
    reason: [/pair 2: counter name contains a control/],
    json: true,
  },
  {
    label: 'name with \\n',
    data: nameAt2('a\nb'),
    reason: [/pair 2: counter name contains a control/],
    json: true,
  },
  {
    label: 'name with \\t',
    data: nameAt2('a\tb'),
    reason: [/pair 2: counter name contains a control/],
    json: true,
  },
  {
    label: 'name with \\x7f',
    data: nameAt2('a\x7fb'),
    reason: [/pair 2: counter name contains a control/],
    json: true,
  },
  {
    label: 'name with \\x85 (NEL)',
    data: nameAt2('a\x85b'),
    reason: [/pair 2: counter name contains a control/],
    json: true,
  },
  {
    label: 'name with a lone high surrogate',
    data: nameAt2('a\ud800b'),
    reason: [/pair 2: counter name is not valid UTF-8 \(lone surrogate\)/],
    json: true,
  },
  {
    label: 'name with a lone low surrogate',
    data: nameAt2('a\udc00'),
    reason: [/pair 2: counter name is not valid UTF-8/],
    json: true,
  },
  {
    label: 'name with a reversed surrogate pair',
    data: nameAt2('\ude00\ud83d'),
    reason: [/pair 2: counter name is not valid UTF-8/],
    json: true,
  },
  {
    label: 'name a number',
    data: nameAt2(7),
    reason: [/pair 2: counter name must be a string, got number/],
    json: true,
  },
  {
    label: 'name null',
    data: nameAt2(null),
    reason: [/pair 2: counter name must be a string, got null/],
    json: true,
  },
  {
    label: 'name an array',
    data: nameAt2(['a']),
    reason: [/pair 2: counter name must be a string, got object/],
    json: true,
  },
  // Deltas
  {
    label: 'delta float',
    data: deltaAt2(1.5),
    reason: [/pair 2 \(counter\): delta 1\.5 is not an integer/],
    json: true,
  },
  {
    label: 'delta string "1"',
    data: deltaAt2('1'),
    reason: [/pair 2 \(counter\): delta must be a number, got string/],
    json: true,
  },
  {
    label: 'delta null',
    data: deltaAt2(null),
    reason: [/pair 2 \(counter\): delta must be a number, got null/],
    json: true,
  },
  {
    label: 'delta boolean',
    data: deltaAt2(true),
    reason: [/pair 2 \(counter\): delta must be a number, got boolean/],
    json: true,
  },
  {
    label: 'delta an object',
    data: deltaAt2({ n: 1 }),
    reason: [/pair 2 \(counter\): delta must be a number, got object/],
    json: true,
  },
  {
    label: 'delta 2^53',
    data: deltaAt2(2 ** 53),
    reason: [/pair 2 \(counter\): delta 9007199254740992 is outside the safe integer range/],
    json: true,
  },
  {
    label: 'delta -2^53',
    data: deltaAt2(-(2 ** 53)),
    reason: [/pair 2 \(counter\): delta -9007199254740992 is outside the safe integer range/],
    json: true,
  },
  {
    label: 'delta 1e300',
    data: deltaAt2(1e300),
    reason: [/pair 2 \(counter\): delta .* is outside the safe integer range/],
    json: true,
  },
  // Not representable in JSON: checked by the unit test only.
  {
    label: 'delta NaN',
    data: deltaAt2(Number.NaN),
    reason: [/pair 2 \(counter\): delta NaN is not an integer/],
    json: false,
  },
  {
    label: 'delta Infinity',
    data: deltaAt2(Number.POSITIVE_INFINITY),
    reason: [/pair 2 \(counter\): delta Infinity is not an integer/],
    json: false,
  },
  {
    label: 'delta -Infinity',
    data: deltaAt2(Number.NEGATIVE_INFINITY),
    reason: [/pair 2 \(counter\): delta -Infinity is not an integer/],
    json: false,
  },
  {
    label: 'delta bigint',
    data: deltaAt2(1n),
    reason: [/pair 2 \(counter\): delta must be a number, got bigint/],
    json: false,
  },
  {
    label: 'delta undefined',
    data: deltaAt2(undefined),
    reason: [/pair 2 \(counter\): delta must be a number, got undefined/],
    json: false,
  },
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
