import { describe, expect, it } from 'vitest';
import {
  MAX_NODE_WEIGHT,
  parseNodeList,
  parseWeight,
  validateNodeId,
} from '../../src/config/node-spec.js';
import { configErrorOf } from './config-error-of.js';

const SETTING = 'COUNTD_NODES';

const errorOf = (raw: string) => configErrorOf(() => parseNodeList(raw, SETTING), raw);

describe('parseNodeList', () => {
  it('parses ids, default and explicit weights and URLs', () => {
    const nodes = parseNodeList(
      'a=redis://127.0.0.1:7001, b:2=rediss://user:pw@cache.example:7002/3',
      SETTING,
    );
    expect(nodes.map(({ id, weight, url }) => ({ id, weight, url }))).toEqual([
      { id: 'a', weight: 1, url: 'redis://127.0.0.1:7001' },
      { id: 'b', weight: 2, url: 'rediss://user:pw@cache.example:7002/3' },
    ]);
    expect(nodes[1]?.connection).toMatchObject({
      host: 'cache.example',
      port: 7002,
      db: 3,
      tls: true,
      username: 'user',
      password: 'pw',
    });
    expect(Object.isFrozen(nodes)).toBe(true);
  });

  it('accepts every allowed id character', () => {
    const [node] = parseNodeList('Node_1.eu-west=redis://h:1', SETTING);
    expect(node?.id).toBe('Node_1.eu-west');
  });

  const rejected: [string, string, RegExp][] = [
    ['an empty list', '  ', /empty node list/],
    ['an id with a bad character', 'a/b=redis://h:1', /node id "a\/b" must match/],
    ['an id with a space', 'my node=redis://h:1', /must match/],
    ['an empty id', '=redis://h:1', /expected id\[:weight\]=url/],
    ['a missing "="', 'a-redis://h:1', /expected id\[:weight\]=url/],
    ['duplicate ids', 'a=redis://h:1,a:2=redis://h:2', /node id "a" appears twice/],
    ['weight 0', 'a:0=redis://h:1', /weight 0 must be between 1 and 1000/],
    ['a non-numeric weight', 'a:two=redis://h:1', /weight "two" must be a positive integer/],
    ['a negative weight', 'a:-1=redis://h:1', /must be a positive integer/],
    ['a too large weight', `a:${MAX_NODE_WEIGHT + 1}=redis://h:1`, /must be between 1 and 1000/],
    ['an http URL', 'a=http://h:1', /unsupported scheme "http:"/],
    ['a missing URL', 'a=', /not a URL/],
    ['an empty entry', 'a=redis://h:1,,b=redis://h:2', /entry 2 "": expected/],
    ['an id over 64 characters', `${'x'.repeat(65)}=redis://h:1`, /longer than 64/],
  ];
  for (const [label, raw, message] of rejected) {
    it(`rejects ${label}, naming the setting`, () => {
      const err = errorOf(raw);
      // Entry-level errors name the entry too: `COUNTD_NODES entry 2 "...": ...`.
      expect(err.setting.startsWith(SETTING)).toBe(true);
      expect(err.message.startsWith(SETTING)).toBe(true);
      expect(err.message).toMatch(message);
    });
  }

  it('never repeats a password in its errors', () => {
    const secret = 's3cr3t-Pa55';
    const cases = [
      `a=ftp://user:${secret}@h:1`,
      `a:0=redis://user:${secret}@h:1`,
      `a/b=redis://user:${secret}@h:1`,
      `a=redis://user:${secret}@h:1/db`,
      `a=redis://:${secret}@h:1,a=redis://:${secret}@h:2`,
    ];
    for (const raw of cases) {
      const err = errorOf(raw);
      expect(err.message, raw).not.toContain(secret);
    }
  });
});

describe('validateNodeId and parseWeight', () => {
  it('accept valid values', () => {
    expect(() => validateNodeId('node-1', '--add')).not.toThrow();
    expect(parseWeight('7', '--add')).toBe(7);
  });

  it('reject invalid ones naming the setting', () => {
    expect(() => validateNodeId('a:b', '--add')).toThrow(/^--add: node id "a:b"/);
    expect(() => parseWeight('1.5', '--add')).toThrow(/^--add: weight "1.5"/);
  });
});
