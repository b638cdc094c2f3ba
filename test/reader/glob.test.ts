import { describe, expect, it } from 'vitest';
import { compileGlob, matchGlob } from '../../src/reader/index.js';
import { GLOB_CASES, SIGNED_CHAR_CASES } from './glob-cases.js';

describe('Redis glob matcher', () => {
  it.each(GLOB_CASES)('%j against %j is %s', (pattern, text, expected) => {
    expect(matchGlob(pattern, text)).toBe(expected);
  });

  it.each(SIGNED_CHAR_CASES)(
    '%j against %j is %s (ranges compare signed chars, as Redis on x86-64)',
    (pattern, text, expected) => {
      expect(matchGlob(pattern, text)).toBe(expected);
    },
  );

  it('compiles once and matches many names', () => {
    const matches = compileGlob('user:[0-9]*:views');
    expect(['user:1:views', 'user:42:views', 'user:x:views', 'user::views'].map(matches)).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });

  it('treats a pattern without metacharacters as equality', () => {
    const matches = compileGlob('a-b^c]d');
    expect(matches('a-b^c]d')).toBe(true);
    expect(matches('a-b^c]')).toBe(false);
  });

  it('stays fast on patterns that are exponential for naive backtracking', () => {
    const pattern = `${'a*'.repeat(30)}b`;
    const text = 'a'.repeat(5000);
    const started = performance.now();
    expect(matchGlob(pattern, text)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
