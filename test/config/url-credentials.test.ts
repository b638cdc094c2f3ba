import { describe, expect, it } from 'vitest';
import { configSecrets, parseConfig, urlPasswords } from '../../src/config/index.js';
import { configErrorOf } from './config-error-of.js';

// Issue 10, point 6: a password written without percent-encoding is refused by name (exit 2),
// never shown, in part or whole, and never crashes the parser.
const errorOf = (env: Record<string, string>) =>
  configErrorOf(() => parseConfig(env), 'a config with these credentials');

describe('credentials that should have been percent-encoded', () => {
  const q = 'redis://127.0.0.1:7000';

  it("names the ',' of a node password and keeps the list's other entries apart", () => {
    const err = errorOf({
      COUNTD_QUEUE_URL: q,
      COUNTD_NODES: 'a=redis://h:1,b=redis://u:Zq9,Xw7@127.0.0.1:7001,c=redis://h:3',
    });
    expect(err.message).toBe(
      'COUNTD_NODES entry 2 "b=redis://u:***@127.0.0.1:7001": the password must be ' +
        "percent-encoded (it holds ',') in redis://u:***@127.0.0.1:7001",
    );
  });

  it.each([
    ['a stray % in a node password', { COUNTD_NODES: 'a=redis://u:Zq9%zzXw7@h:1' }, "'%'"],
    ['a stray % in the queue password', { COUNTD_QUEUE_URL: 'redis://:Zq9%Xw7@h:1' }, "'%'"],
    ['an escape that is not UTF-8', { COUNTD_QUEUE_URL: 'redis://:Zq9%ffXw7@h:1' }, 'UTF-8'],
    ['a space', { COUNTD_QUEUE_URL: 'redis://u:Zq9 Xw7@h:1' }, 'white space'],
    ['a comma in the user name', { COUNTD_QUEUE_URL: 'redis://us,er:Zq9Xw7@h:1' }, 'username'],
  ])('refuses %s without showing it', (_, env, reason) => {
    const err = errorOf({ COUNTD_QUEUE_URL: q, COUNTD_NODES: 'a=redis://h:1', ...env });
    expect(err.message).toContain(reason);
    expect(err.message).not.toMatch(/Zq9|Xw7/);
  });

  it('still decodes valid escapes', () => {
    const config = parseConfig({
      COUNTD_QUEUE_URL: 'redis://:a%2Cb%25c@h:1',
      COUNTD_NODES: 'a=redis://:n%2co%40de@h:2',
    });
    expect(config.queue?.password).toBe('a,b%c');
    expect(config.nodes?.[0]?.connection.password).toBe('n,o@de');
    expect(configSecrets(config).sort()).toEqual(['a,b%c', 'n%2co%40de', 'n,o@de'].sort());
  });
});

describe('urlPasswords', () => {
  it('finds passwords as written and decoded, in malformed URLs and node lists too', () => {
    expect(urlPasswords('a=redis://u:one@h:1,b=redis://:tw%40o@h:2,c=redis://h:3')).toEqual([
      'one',
      'tw%40o',
      'tw@o',
    ]);
    expect(urlPasswords('--queue-url=redis://u:Zq9,Xw7@h')).toEqual(['Zq9,Xw7']);
    expect(urlPasswords('redis://u:Zq9%zz@h')).toEqual(['Zq9%zz']);
    expect(urlPasswords('redis://user@h redis://h:1')).toEqual([]);
  });
});
