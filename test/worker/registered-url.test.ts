import { describe, expect, it } from 'vitest';
import { parseRedisUrl, toRedisOptions } from '../../src/config/index.js';
import { connectionFromRecord, registeredUrl } from '../../src/worker/registered-url.js';

const optionsOf = (url: string) => toRedisOptions(parseRedisUrl(url, 'COUNTD_NODES'));

describe('registeredUrl: where a node is, never who connects', () => {
  it('drops username and password of redis:// and rediss:// URLs, keeps host, port, db', () => {
    expect(registeredUrl(optionsOf('redis://user:s3cret@10.0.0.5:7001'))).toBe(
      'redis://10.0.0.5:7001',
    );
    expect(registeredUrl(optionsOf('rediss://:s3cret@cache.example:6380/2'))).toBe(
      'rediss://cache.example:6380/2',
    );
    expect(registeredUrl(optionsOf('redis://[::1]:7002'))).toBe('redis://[::1]:7002');
  });

  it('keeps the sentinels and master of a Sentinel URL, without any credentials', () => {
    const url = 'redis+sentinel://u:p@s1:26379+s2:26380/shard-a/1?sentinelPassword=sp';
    const text = registeredUrl(optionsOf(url));
    expect(text).toBe('redis+sentinel://s1:26379+s2:26380/shard-a/1');
    expect(text).not.toMatch(/p@|sp/);
  });
});

describe('connectionFromRecord: a node known from the ring record only', () => {
  it("is reached at the record's URL with the credentials of the worker's first node", () => {
    const first = optionsOf('redis://app:pw@10.0.0.1:7001');
    expect(connectionFromRecord('d', 'redis://10.0.0.9:7009', first)).toMatchObject({
      host: '10.0.0.9',
      port: 7009,
      username: 'app',
      password: 'pw',
    });
    const sentinel = optionsOf('redis+sentinel://:pw@s1:26379/a?sentinelPassword=sp');
    expect(connectionFromRecord('d', 'redis+sentinel://s9:26379/d', sentinel)).toMatchObject({
      name: 'd',
      sentinels: [{ host: 's9', port: 26379 }],
      password: 'pw',
      sentinelPassword: 'sp',
    });
  });
});
