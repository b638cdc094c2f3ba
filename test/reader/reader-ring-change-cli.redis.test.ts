import { describe, expect, it } from 'vitest';
import { useRedisServers } from '../support/redis-harness.js';
import { runCli } from '../workers/cli/commands/run-cli.js';
import { RingChangeScenario } from './ring-change-scenario.js';

describe('countd get and counters during a ring change (COUNTD_QUEUE_URL set)', () => {
  const redis = useRedisServers({ count: 5 });

  it('print whole values of moved and unmoved counters, each name once', async () => {
    const s = new RingChangeScenario(redis);
    for (let i = 0; i < 200; i++) await s.increment(`cli:${i}`, 1 + i, s.from);
    await s.registerV1();
    await s.fence();
    await s.startMoving();
    const split = s.split(s.issued.keys());
    for (const name of split.slice(0, split.length / 2)) await s.move(name);
    for (const name of split) await s.increment(name, 1000, s.to);
    const env = s.env();
    const names = [...s.issued.keys()];

    const get = await runCli(['get', ...names], { env });
    expect(get.stderr).toBe('');
    expect(get.stdout).toBe(names.map((n) => `${n}\t${s.issued.get(n)}\n`).join(''));

    const listed = await runCli(['counters', '--json', '--limit', '0', 'cli:*'], { env });
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual(Object.fromEntries(s.issued));
    expect(listed.stdout.split('"cli:').length - 1).toBe(names.length);
  });
});
