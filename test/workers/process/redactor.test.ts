import { describe, expect, it } from 'vitest';
import { Redactor } from '../../../workers/process/redactor.js';

describe('Redactor', () => {
  const secret = 'p"a\\ss%é,1';
  const redactor = new Redactor([secret, 'other-secret', '']);

  it.each([
    ['as is', `AUTH default ${secret}`],
    ['percent-encoded', `redis://u:${encodeURIComponent(secret)}@h`],
    ['JSON-escaped', JSON.stringify({ args: ['AUTH', 'default', secret] })],
    ['JSON-escaped twice', JSON.stringify({ msg: JSON.stringify({ password: secret }) })],
  ])('replaces a secret %s', (_, text) => {
    const out = redactor.redact(text);
    expect(out).toContain('***');
    expect(out).not.toContain('a\\ss');
    expect(out).not.toContain('%C3%A9');
  });

  it('leaves other text alone, and does nothing without secrets', () => {
    expect(redactor.redact('nothing to hide: other-secre')).toBe('nothing to hide: other-secre');
    expect(new Redactor([]).redact('AUTH x y')).toBe('AUTH x y');
  });

  it('replaces a secret that holds another one whole', () => {
    expect(new Redactor(['abc', 'xabcx']).redact('[xabcx] [abc]')).toBe('[***] [***]');
  });
});
