import { describe, expect, it } from 'vitest';
import { parseRedisUrl, redactUrl, toRedisOptions } from '../../src/config/index.js';
import { configErrorOf } from './config-error-of.js';

const SETTING = 'COUNTD_QUEUE_URL';

const errorOf = (raw: string) => configErrorOf(() => parseRedisUrl(raw, SETTING), raw);

describe('parseRedisUrl', () => {
  it('parses host and port, with db 0 and no TLS by default', () => {
    const c = parseRedisUrl('redis://127.0.0.1:7001', SETTING);
    expect(c).toEqual({
      display: 'redis://127.0.0.1:7001',
      host: '127.0.0.1',
      port: 7001,
      db: 0,
      tls: false,
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('parses rediss://, credentials, the default port and a db', () => {
    const c = parseRedisUrl('rediss://app:pw@cache.example/3', SETTING);
    expect(c).toEqual({
      display: 'rediss://app:***@cache.example/3',
      host: 'cache.example',
      port: 6379,
      username: 'app',
      password: 'pw',
      db: 3,
      tls: true,
    });
    expect(toRedisOptions(c)).toEqual({
      host: 'cache.example',
      port: 6379,
      db: 3,
      username: 'app',
      password: 'pw',
      tls: { servername: 'cache.example' },
    });
  });

  it('decodes percent-encoded credentials and keeps them out of display', () => {
    const c = parseRedisUrl('redis://us%40er:p%40ss%2Fw%3Ard@h:1', SETTING);
    expect(c.username).toBe('us@er');
    expect(c.password).toBe('p@ss/w:rd');
    expect(c.display).toBe('redis://us%40er:***@h:1');
  });

  it('accepts a password without a user name, and an IPv6 host', () => {
    const c = parseRedisUrl('redis://:pw@[::1]:7000/0', SETTING);
    expect(c).toMatchObject({ host: '::1', port: 7000, password: 'pw', db: 0 });
    expect(c.username).toBeUndefined();
    expect(toRedisOptions(c)).toEqual({ host: '::1', port: 7000, db: 0, password: 'pw' });
  });

  it.each([
    [
      '127.0.0.1:6379',
      /not a URL: 127\.0\.0\.1:6379 \(expected redis:\/\/\[user:password@\]host\[:port\]\[\/db\]\)/,
    ],
    ['redis://h:99999', /not a URL: redis:\/\/h:99999/],
    [
      'http://h:1',
      /unsupported scheme "http:" in http:\/\/h:1 \(expected redis:\/\/, rediss:\/\/ or redis\+sentinel:\/\/\)/,
    ],
    ['localhost:6379', /unsupported scheme "localhost:"/],
    ['redis:///0', /no host in redis:\/\/\/0|not a URL/],
    ['redis://h/abc', /database must be a number 0-99, got "abc" in redis:\/\/h\/abc/],
    ['redis://h/100', /database must be a number 0-99, got "100"/],
    ['redis://h/1/2', /database must be a number 0-99, got "1\/2"/],
  ])('rejects %s with a message naming the setting and the accepted form', (raw, message) => {
    const error = errorOf(raw);
    expect(error.setting).toBe(SETTING);
    expect(error.message.startsWith(`${SETTING}: `)).toBe(true);
    expect(error.message).toMatch(message);
  });

  describe('never repeats a password in its errors', () => {
    it.each([
      'redis://user:s3cr3t@h/abc',
      'http://user:s3cr3t@h',
      'redis://:s3cr3t@h/x',
      'redis://user:s3cr3t@h:99999',
      'redis://user:s3cr3t@',
      'rediss://user:s3cr3t@h/100',
      // Characters a password should have percent-encoded, and often has not:
      'redis://user:p@s3cr3t@h/x',
      'redis://user:s3c/r3t@h',
      'redis://user:s3c?r3t@h',
      'redis://user:s3c#r3t@h/x',
      'redis://us@er:s3cr3t@h/x',
      'redis://user:s3c r3t@h/x',
    ])('%s', (raw) => {
      const error = errorOf(raw);
      expect(error.message).not.toMatch(/s3c|r3t/);
      expect(error.message).toContain('***');
    });
  });
});

describe('redactUrl', () => {
  it.each([
    ['redis://user:secret@h:1/2', 'redis://user:***@h:1/2'],
    ['redis://:secret@h', 'redis://:***@h'],
    ['rediss://user:secret@h', 'rediss://user:***@h'],
    ['redis://user:p@ss@h/0', 'redis://user:***@h/0'],
    ['redis://user:sec/ret@h', 'redis://user:***@h'],
    ['redis://user@h:1', 'redis://user@h:1'],
    ['redis://h:6379/0', 'redis://h:6379/0'],
    ['not a url', 'not a url'],
  ])('%s → %s', (raw, shown) => {
    expect(redactUrl(raw)).toBe(shown);
  });

  it('redacts every URL of a node list', () => {
    expect(redactUrl('a=redis://u:one@h:1,b:2=rediss://:two@h:2,c=redis://h:3')).toBe(
      'a=redis://u:***@h:1,b:2=rediss://:***@h:2,c=redis://h:3',
    );
  });
});
