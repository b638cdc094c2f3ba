import { describe, expect, it } from 'vitest';
import { InvalidCounterNameError } from '../../src/errors/index.js';
import {
  MAX_NAME_BYTES,
  assertCounterName,
  counterNameProblem,
} from '../../src/validation/index.js';

describe('counterNameProblem', () => {
  it.each([
    ['plain ASCII', 'page:/home'],
    ['one character', 'a'],
    [`${MAX_NAME_BYTES} ASCII bytes`, 'x'.repeat(MAX_NAME_BYTES)],
    ["170 × '€' = 510 bytes", '€'.repeat(170)],
    ['128 emoji = 512 bytes', '😀'.repeat(128)],
    ['a surrogate pair', 'a😀b'],
    ['spaces, NBSP, U+2028', 'a b\u00a0c\u2028d'],
  ])('accepts %s', (_label, name) => {
    expect(counterNameProblem(name)).toBeUndefined();
    expect(() => assertCounterName(name)).not.toThrow();
  });

  it.each([
    ['empty', '', 'must not be empty'],
    ['513 ASCII bytes', 'x'.repeat(513), 'is longer than 512 bytes in UTF-8'],
    ["171 × '€' = 513 bytes", '€'.repeat(171), 'is longer than 512 bytes in UTF-8'],
    ["170 × '€' + 'ab' = 512 bytes is fine, + 'abc' = 513", `${'€'.repeat(170)}abc`, 'is longer'],
    ['129 emoji = 516 bytes', '😀'.repeat(129), 'is longer than 512 bytes in UTF-8'],
    ['\\0', 'a\0', 'contains a control character'],
    ['\\n', 'a\n', 'contains a control character'],
    ['\\r', 'a\r', 'contains a control character'],
    ['\\t', '\ta', 'contains a control character'],
    ['\\x1f', 'a\x1fb', 'contains a control character'],
    ['\\x7f', 'a\x7f', 'contains a control character'],
    ['\\x85', 'a\x85', 'contains a control character'],
    ['\\x9f', 'a\x9f', 'contains a control character'],
    ['lone high surrogate', 'a\ud83d', 'is not valid UTF-8 (lone surrogate)'],
    ['lone low surrogate', '\ude00a', 'is not valid UTF-8 (lone surrogate)'],
    ['two high surrogates', '\ud83d\ud83d\ude00', 'is not valid UTF-8 (lone surrogate)'],
  ])('rejects %s', (_label, name, problem) => {
    expect(counterNameProblem(name)).toContain(problem);
    expect(() => assertCounterName(name)).toThrow(InvalidCounterNameError);
  });

  it('accepts 170 × € + "ab" (exactly 512 bytes)', () => {
    const name = `${'€'.repeat(170)}ab`;
    expect(Buffer.byteLength(name)).toBe(512);
    expect(counterNameProblem(name)).toBeUndefined();
  });

  it.each([
    [undefined, 'must be a string, got undefined'],
    [null, 'must be a string, got null'],
    [1, 'must be a string, got number'],
    [{}, 'must be a string, got object'],
    [Symbol('s'), 'must be a string, got symbol'],
  ])('rejects the non-string %s', (name, problem) => {
    expect(counterNameProblem(name)).toBe(problem);
  });

  it('puts the name and the reason in the error', () => {
    let error: unknown;
    try {
      assertCounterName('bad\nname');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidCounterNameError);
    const e = error as InvalidCounterNameError;
    expect(e.counter).toBe('bad\nname');
    expect(e.reason).toBe('contains a control character');
    expect(e.message).toBe('invalid counter name "bad\\nname": contains a control character');
  });
});
