import { describe, expect, it } from 'vitest';
import { BearerToken } from '../../src/gateway/index.js';

describe('BearerToken', () => {
  const token = new BearerToken('s3cret-token-0123456789');

  it('accepts the token, the scheme in any case', () => {
    expect(token.accepts('Bearer s3cret-token-0123456789')).toBe(true);
    expect(token.accepts('bearer s3cret-token-0123456789')).toBe(true);
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['another token', 'Bearer s3cret-token-0123456780'],
    ['a prefix of it', 'Bearer s3cret-token'],
    ['it with more', 'Bearer s3cret-token-0123456789x'],
    ['another scheme', 'Basic s3cret-token-0123456789'],
    ['the bare token', 's3cret-token-0123456789'],
  ])('refuses %s', (_label, header) => {
    expect(token.accepts(header)).toBe(false);
  });
});
