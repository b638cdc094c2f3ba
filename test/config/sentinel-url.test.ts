import { describe, expect, it } from 'vitest';
import {
  configSecrets,
  parseConfig,
  parseNodeList,
  parseRedisUrl,
  redactUrl,
  toRedisOptions,
  urlPasswords,
} from '../../src/config/index.js';
import { configErrorOf } from './config-error-of.js';

const SETTING = 'COUNTD_QUEUE_URL';

const problem = (raw: string) => configErrorOf(() => parseRedisUrl(raw, SETTING), raw).message;

// Issue 12: redis+sentinel:// wherever a Redis URL is accepted, parsed by the one URL parser.
describe('redis+sentinel:// URLs', () => {
  it('parses the sentinels, the master name, the db and both sets of credentials', () => {
    const c = parseRedisUrl(
      'redis+sentinel://app:s%40cret@10.0.0.1:26379+10.0.0.2+[::1]:26380/cache/3?sentinelUsername=watch&sentinelPassword=se%2Bnt',
      SETTING,
    );
    expect(c).toEqual({
      display:
        'redis+sentinel://app:***@10.0.0.1:26379+10.0.0.2+[::1]:26380/cache/3?sentinelUsername=watch&sentinelPassword=***',
      host: '10.0.0.1',
      port: 26379,
      username: 'app',
      password: 's@cret',
      db: 3,
      tls: false,
      sentinel: {
        masterName: 'cache',
        sentinels: [
          { host: '10.0.0.1', port: 26379 },
          { host: '10.0.0.2', port: 26379 },
          { host: '::1', port: 26380 },
        ],
        username: 'watch',
        password: 'se+nt',
      },
    });
    expect(Object.isFrozen(c.sentinel)).toBe(true);
  });

  it('gives ioredis its sentinel options, with no host or port of its own', () => {
    const options = toRedisOptions(
      parseRedisUrl('redis+sentinel://:pw@h1:1+h2:2/m?sentinelPassword=sp', SETTING),
    );
    expect(options).toMatchObject({
      sentinels: [
        { host: 'h1', port: 1 },
        { host: 'h2', port: 2 },
      ],
      name: 'm',
      db: 0,
      password: 'pw',
      sentinelPassword: 'sp',
      failoverDetector: true,
    });
    expect(options.host).toBeUndefined();
    expect(options.sentinelUsername).toBeUndefined();
    // A demoted primary answering READONLY makes the client reconnect through the sentinels.
    expect(options.reconnectOnError?.(new Error("READONLY You can't write"))).toBe(1);
    expect(options.reconnectOnError?.(new Error('OOM'))).toBe(false);
  });

  it.each([
    ['redis+sentinel://h:26379', /no master name/],
    ['redis+sentinel://h:26379/', /no master name/],
    ['redis+sentinel:///m', /sentinel "" is not host\[:port\]/],
    ['redis+sentinel://h1:1++h2:2/m', /sentinel "" is not host\[:port\]/],
    ['redis+sentinel://h1:1,h2:2/m', /sentinel "h1:1,h2:2" is not host\[:port\]/],
    ['redis+sentinel://h:99999/m', /sentinel port 99999 is out of range/],
    ['redis+sentinel://h/m/x', /database must be a number 0-99, got "x"/],
    ['redis+sentinel://h/m/1/2', /database must be a number 0-99, got "1\/2"/],
    ['redis+sentinel://h/m a', /not a Sentinel URL|master name "m a"/],
    ['redis+sentinel://h/m?password=x', /unknown parameter "password"/],
    ['redis+sentinel://h/m?sentinelPassword=a b', /sentinelPassword must be percent-encoded/],
  ])('refuses %s, naming the setting and the form', (raw, why) => {
    const message = problem(raw);
    expect(message).toMatch(/^COUNTD_QUEUE_URL: /);
    expect(message).toMatch(why);
    expect(message).toContain('expected redis+sentinel://[user:password@]host:port[+host:port...]');
  });

  it("never shows a password in a message, the sentinels' included", () => {
    const message = problem('redis+sentinel://u:Hunter2@h:1/m/x?sentinelPassword=Zebra9');
    expect(message).not.toContain('Hunter2');
    expect(message).not.toContain('Zebra9');
  });

  it('redacts and lists sentinel passwords, in a URL and in a node list', () => {
    const list =
      'a=redis+sentinel://:one@h:1+h:2/ma?sentinelPassword=two,b=redis+sentinel://h:3/mb?sentinelUsername=u&sentinelPassword=th%2Cree';
    expect(redactUrl(list)).toBe(
      'a=redis+sentinel://:***@h:1+h:2/ma?sentinelPassword=***,b=redis+sentinel://h:3/mb?sentinelUsername=u&sentinelPassword=***',
    );
    expect(urlPasswords(list).sort()).toEqual(['one', 'th%2Cree', 'th,ree', 'two'].sort());
    const nodes = parseNodeList(list, 'COUNTD_NODES');
    expect(nodes.map((n) => n.connection.sentinel?.masterName)).toEqual(['ma', 'mb']);
  });

  it('every secret of a Sentinel configuration is one configSecrets returns', () => {
    const config = parseConfig({
      COUNTD_QUEUE_URL: 'redis+sentinel://:qpw@h:1/q?sentinelPassword=qsp',
      COUNTD_NODES: 'a=redis+sentinel://:npw@h:1/a?sentinelPassword=nsp',
    });
    expect(configSecrets(config).sort()).toEqual(['npw', 'nsp', 'qpw', 'qsp']);
  });

  it('names the node list entry of a bad Sentinel URL', () => {
    expect(() => parseNodeList('a=redis://h:1,b=redis+sentinel://h:1', 'COUNTD_NODES')).toThrow(
      /COUNTD_NODES entry 2 "b=redis\+sentinel:\/\/h:1": no master name/,
    );
  });
});
