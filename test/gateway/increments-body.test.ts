import { describe, expect, it } from 'vitest';
import { bodyFormat, parseIncrementsBody, type BodyFormat } from '../../src/gateway/index.js';

const parse = (text: string | Buffer, format: BodyFormat = 'json') =>
  parseIncrementsBody(typeof text === 'string' ? Buffer.from(text) : text, format);

describe('bodyFormat', () => {
  it.each([
    [undefined, 'json'],
    ['application/json', 'json'],
    ['Application/JSON; charset=UTF-8', 'json'],
    ['application/x-ndjson', 'ndjson'],
    ['application/ndjson', 'ndjson'],
    ['application/x-www-form-urlencoded', undefined],
    ['text/plain', undefined],
    ['application/json; charset=latin1', undefined],
  ])('%s → %s', (type, format) => {
    expect(bodyFormat(type)).toBe(format);
  });
});

describe('parseIncrementsBody', () => {
  it('takes an array of [name, delta]', () => {
    expect(parse('[["n2:views", 3], ["n2:sales", -1]]')).toEqual({
      ok: true,
      entries: [
        ['n2:views', 3],
        ['n2:sales', -1],
      ],
    });
  });

  it('takes an object {name: delta}', () => {
    expect(parse('{"n2:views": 3, "n2:sales": -1}')).toEqual({
      ok: true,
      entries: [
        ['n2:views', 3],
        ['n2:sales', -1],
      ],
    });
  });

  it('takes NDJSON, one entry a line, blank lines skipped', () => {
    expect(parse('["a", 1]\r\n\n["b", 2]\n', 'ndjson')).toEqual({
      ok: true,
      entries: [
        ['a', 1],
        ['b', 2],
      ],
    });
  });

  it('takes an empty batch', () => {
    expect(parse('[]')).toEqual({ ok: true, entries: [] });
  });

  it.each([
    ['a bad name', '[["a", 1], ["", 1]]', 1, 'entry 1: counter name must not be empty'],
    ['a control in a name', '[["a\\u0000b", 1]]', 0, 'contains a control character'],
    ['a fractional delta', '[["a", 1], ["b", 2], ["c", 1.5]]', 2, 'delta 1.5 is not an integer'],
    ['an unsafe delta', '[["a", 9007199254740993]]', 0, 'outside the safe integer range'],
    ['a string delta', '[["a", "1"]]', 0, 'delta must be a number, got string'],
    ['a short entry', '[["a"]]', 0, 'must be ["name", delta] or ["name", delta, at]'],
    ['a long entry', '[["a", 1, 2, 3]]', 0, 'must be ["name", delta]'],
    ['an object entry', '[{"a": 1}]', 0, 'must be ["name", delta]'],
    ['an event time', '[["a", 1], ["b", 1, 1700000000000]]', 1, 'event time is not supported'],
    ['an ISO event time', '[["b", 1, "2025-01-31T12:00:00Z"]]', 0, 'countd keeps no time buckets'],
    ['a bad event time', '[["b", 1, "yesterday"]]', 0, '"at" "yesterday" is not an RFC 3339'],
    ['a null event time', '[["b", 1, null]]', 0, '"at" must be epoch milliseconds'],
    ['an object value', '{"a": 1, "b": "x"}', 1, 'entry 1: delta must be a number'],
    ['a repeated object name', '{"a": 1, "b": 2, "a": 3}', 2, '"a" appears twice'],
  ])('refuses %s, naming the entry', (_label, body, index, error) => {
    const parsed = parse(body);
    expect(parsed).toMatchObject({ ok: false, index });
    expect(parsed.ok ? '' : parsed.error).toContain(error);
  });

  it('names the bad NDJSON entry, with its line', () => {
    const parsed = parse('["a", 1]\n\n["b", 1]\n{oops\n', 'ndjson');
    expect(parsed).toMatchObject({ ok: false, index: 2 });
    expect(parsed.ok ? '' : parsed.error).toContain('line 4 is not JSON');
    expect(parse('["a", 1]\n["b", 0.5]', 'ndjson')).toMatchObject({ ok: false, index: 1 });
  });

  it.each([
    ['not JSON', '[["a", 1]', 'body is not JSON'],
    ['a number', '42', 'body must be a JSON array'],
    ['null', 'null', 'body must be a JSON array'],
  ])('refuses %s as a whole', (_label, body, error) => {
    const parsed = parse(body);
    expect(parsed).toEqual({ ok: false, error: expect.stringContaining(error) as string });
  });

  it('refuses bytes that are not UTF-8 rather than read U+FFFD into a name', () => {
    const body = Buffer.concat([Buffer.from('[["caf'), Buffer.from([0xe9]), Buffer.from('", 1]]')]);
    expect(parse(body)).toEqual({ ok: false, error: 'body is not valid UTF-8' });
    expect(parse(body, 'ndjson')).toEqual({ ok: false, error: 'body is not valid UTF-8' });
  });
});
