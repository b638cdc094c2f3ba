import { describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { matchGlob } from '../../src/reader/index.js';
import { uniquePrefix, useRedisServers } from '../support/redis-harness.js';
import { GLOB_CASES, GLOB_SUBJECTS, SIGNED_CHAR_CASES } from './glob-cases.js';

/** The fields of `key` that Redis's own matcher accepts for `pattern` (HSCAN ... MATCH). */
async function redisMatches(redis: Redis, key: string, pattern: string): Promise<Set<string>> {
  const found = new Set<string>();
  let cursor = '0';
  do {
    const [next, flat] = await redis.hscan(key, cursor, 'MATCH', pattern, 'COUNT', 1000);
    for (let i = 0; i < flat.length; i += 2) found.add(flat[i]!);
    cursor = next;
  } while (cursor !== '0');
  return found;
}

describe('Redis glob matcher against Redis itself (HSCAN MATCH as the oracle)', () => {
  const redis = useRedisServers();
  const prefix = uniquePrefix('glob');
  // Ranges over bytes >= 0x80 compare signed chars on x86-64 servers only.
  const cases = process.arch === 'x64' ? [...GLOB_CASES, ...SIGNED_CHAR_CASES] : GLOB_CASES;

  it('agrees with Redis on every case of the table', async () => {
    const client = redis.server().client();
    const key = `${prefix}:cases`;
    const disagreements: string[] = [];
    for (const [i, [pattern, text, expected]] of cases.entries()) {
      // One hash per case: the text alone, so the answer is that text's.
      const caseKey = `${key}:${i}`;
      await client.hset(caseKey, text, 1);
      const byRedis = (await redisMatches(client, caseKey, pattern)).has(text);
      const byJs = matchGlob(pattern, text);
      if (byRedis !== expected || byJs !== expected) {
        disagreements.push(
          `${JSON.stringify(pattern)} ~ ${JSON.stringify(text)}: table ${expected}, redis ${byRedis}, js ${byJs}`,
        );
      }
    }
    expect(disagreements).toEqual([]);
  });

  it('agrees with Redis on every pattern against every subject', async () => {
    const client = redis.server().client();
    const key = `${prefix}:subjects`;
    const subjects = [...new Set([...GLOB_SUBJECTS, ...cases.map(([, text]) => text)])];
    await client.hset(key, Object.fromEntries(subjects.map((s) => [s, 1])));
    const disagreements: string[] = [];
    for (const [pattern] of cases) {
      const byRedis = await redisMatches(client, key, pattern);
      for (const subject of subjects) {
        if (byRedis.has(subject) !== matchGlob(pattern, subject)) {
          disagreements.push(
            `${JSON.stringify(pattern)} ~ ${JSON.stringify(subject)}: redis ${byRedis.has(subject)}`,
          );
        }
      }
    }
    expect(disagreements).toEqual([]);
  });
});
