import { describe, expect, it } from 'vitest';
import { MAX_QUERY_NAMES, parseCounterQuery } from '../../src/gateway/index.js';

describe('parseCounterQuery', () => {
  it('reads the names in order, percent-escapes and + decoded', () => {
    expect(parseCounterQuery('name=page%3A%2Fhome&name=caf%C3%A9&name=a+b')).toEqual({
      ok: true,
      names: ['page:/home', 'café', 'a b'],
    });
  });

  it.each([
    ['no name', '', 'no name given'],
    ['another parameter', 'names=a', 'unknown parameter "names"'],
    ['an empty name', 'name=a&name=', 'name 1: counter name must not be empty'],
    ['bytes that are not UTF-8', 'name=caf%E9', 'name 0 is not valid percent-encoded UTF-8'],
    ['a broken escape', 'name=%zz', 'not valid percent-encoded'],
    ['a control character', 'name=a%0Ab', 'contains a control character'],
  ])('refuses %s', (_label, search, error) => {
    const query = parseCounterQuery(search);
    expect(query.ok).toBe(false);
    expect(query.ok ? '' : query.error).toContain(error);
  });

  it(`refuses more than ${MAX_QUERY_NAMES} names`, () => {
    const search = Array.from({ length: MAX_QUERY_NAMES + 1 }, (_, i) => `name=c${i}`).join('&');
    expect(parseCounterQuery(search)).toMatchObject({ ok: false, index: MAX_QUERY_NAMES });
  });
});
