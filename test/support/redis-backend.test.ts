import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseRedisBackend, DEFAULT_TEST_REDIS_IMAGE } from './redis-backend.js';
import { uniquePrefix } from './unique-prefix.js';

// No Redis and no container runtime here: DOCKER_HOST points at a socket that does not
// exist, and PATH at a directory holding (or not) a fake redis-server.
describe('chooseRedisBackend', () => {
  let dir: string;
  let fakeRedis: string;
  const noDocker = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'countd-backend-'));
    fakeRedis = join(dir, 'redis-server');
    await writeFile(fakeRedis, '#!/bin/sh\n');
    await chmod(fakeRedis, 0o755);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('uses redis-server processes when no container runtime answers', async () => {
    const started = Date.now();
    const choice = await chooseRedisBackend({ ...noDocker, PATH: dir });
    expect(choice).toEqual({ kind: 'process', redisServerPath: fakeRedis });
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('honours COUNTD_REDIS_SERVER', async () => {
    const choice = await chooseRedisBackend({
      ...noDocker,
      PATH: '',
      COUNTD_REDIS_SERVER: fakeRedis,
    });
    expect(choice).toMatchObject({ kind: 'process', redisServerPath: fakeRedis });
  });

  it('takes COUNTD_TEST_REDIS=container at its word, with the image and network asked for', async () => {
    expect(await chooseRedisBackend({ COUNTD_TEST_REDIS: 'container' })).toEqual({
      kind: 'container',
      image: DEFAULT_TEST_REDIS_IMAGE,
      network: undefined,
    });
    const env = {
      COUNTD_TEST_REDIS: 'container',
      COUNTD_TEST_REDIS_IMAGE: 'redis:7',
      COUNTD_TEST_REDIS_NETWORK: 'host',
    };
    expect(await chooseRedisBackend(env)).toEqual({
      kind: 'container',
      image: 'redis:7',
      network: 'host',
    });
  });

  it('says what to install when there is no Redis at all', async () => {
    const attempt = chooseRedisBackend({ ...noDocker, PATH: join(dir, 'empty') });
    await expect(attempt).rejects.toThrow(/apt-get install redis-server/);
    await expect(attempt).rejects.toThrow(/container runtime/);
  });

  it('rejects a forced process backend without redis-server, and unknown values', async () => {
    await expect(chooseRedisBackend({ COUNTD_TEST_REDIS: 'process', PATH: '' })).rejects.toThrow(
      /no redis-server was found/,
    );
    await expect(chooseRedisBackend({ COUNTD_TEST_REDIS: 'docker' })).rejects.toThrow(
      /COUNTD_TEST_REDIS must be process, container or unset/,
    );
    await expect(
      chooseRedisBackend({ COUNTD_TEST_REDIS: 'container', COUNTD_TEST_REDIS_NETWORK: 'nat' }),
    ).rejects.toThrow(/COUNTD_TEST_REDIS_NETWORK/);
  });
});

describe('uniquePrefix', () => {
  it('is distinct on every call and keeps key-safe characters of the name', () => {
    const a = uniquePrefix('my suite/1');
    const b = uniquePrefix('my suite/1');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^test:my-suite-1:[0-9a-f]{8}$/);
  });
});
