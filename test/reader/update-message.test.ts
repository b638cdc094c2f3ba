import { describe, expect, it } from 'vitest';
import { parseUpdateMessage } from '../../src/reader/index.js';

describe('parseUpdateMessage', () => {
  it('reads name<TAB>value lines as the apply script publishes them', () => {
    expect(parseUpdateMessage('page:home\t12\nclé:été\t-3\nbig\t9223372036854775807')).toEqual({
      updates: [
        ['page:home', 12n],
        ['clé:été', -3n],
        ['big', 9223372036854775807n],
      ],
      problems: [],
    });
  });

  it('accepts an empty message and a trailing newline', () => {
    expect(parseUpdateMessage('')).toEqual({ updates: [], problems: [] });
    expect(parseUpdateMessage('a\t1\n').updates).toEqual([['a', 1n]]);
  });

  it('skips bad lines, keeps the good ones, and says why', () => {
    const { updates, problems } = parseUpdateMessage(
      [
        'ok\t1',
        'no tab',
        '\t5',
        'v\t1.5',
        'v\t+1',
        'v\t007',
        'v\t9223372036854775808',
        'v\t',
        '',
        'ok2\t-0',
        'last\t-9223372036854775808',
      ].join('\n'),
    );
    expect(updates).toEqual([
      ['ok', 1n],
      ['last', -9223372036854775808n],
    ]);
    expect(problems.map((p) => p.reason)).toEqual([
      'no tab between name and value',
      'counter name must not be empty',
      ...Array<string>(5).fill('value is not a signed 64-bit integer'),
      'no tab between name and value',
      'value is not a signed 64-bit integer',
    ]);
  });
});
