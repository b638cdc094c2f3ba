import { describe, expect, it } from 'vitest';
import { readRingState, layoutOf } from '../../../../src/ring-change/index.js';
import { fittedBuckets, safeMeanFields } from '../../../../src/storage/index.js';
import { useRedisServers } from '../../../support/redis-harness.js';
import { misplaced, seedFleet } from '../../../ring-change/ring-change-fixture.js';
import { runCli } from './run-cli.js';

describe('countd ring layout --buckets fit', () => {
  // 0: queue Redis, 1-3: nodes a, b, c.
  const redis = useRedisServers({ count: 4 });

  it('counts the hashes, moves to a layout that keeps them listpacks with room to grow, and then leaves it', async () => {
    // 6,000 counters in 4 hashes per node: ~500 fields each.
    const fleet = await seedFleet(redis, { counters: 6000, buckets: 4 });
    const env = {
      COUNTD_QUEUE_URL: redis.server(0).url,
      COUNTD_QUEUE_NAME: fleet.queueName,
      COUNTD_PREFIX: fleet.prefix,
    };
    const perNode = new Map<string, number>();
    for (const name of fleet.expected.keys()) {
      const node = layoutOf(fleet.ring).locate(name).node;
      perNode.set(node, (perNode.get(node) ?? 0) + 1);
    }
    const most = Math.max(...perNode.values());
    // The limit as the nodes have it (the harness may start them with another than Redis's 128).
    const [, limitText] = (await redis
      .server(1)
      .client()
      .config('GET', 'hash-max-listpack-entries')) as string[];
    const limit = Number(limitText);
    const expected = Math.ceil((2 * most) / safeMeanFields(limit));
    expect(expected).toBeGreaterThan(4);

    const dry = await runCli(['ring', 'layout', '--buckets', 'fit', '--dry-run'], { env });
    expect(dry.code, dry.stderr).toBe(0);
    for (const [node, counters] of perNode)
      expect(dry.stderr).toMatch(
        new RegExp(
          `node ${node}: ${counters.toLocaleString('en-US')} counters in 4 hashes, ` +
            `the fullest \\d+ fields; hash-max-listpack-entries ${limit}\\n`,
        ),
      );
    expect(dry.stderr).toContain(`fitted: ${expected} hashes per node`);
    expect((await readRingState(fleet.queue, fleet.keys, fleet.queueName)).ring?.buckets).toBe(4);

    const run = await runCli(['ring', 'layout', '--buckets', 'fit', '--wait'], { env });
    expect(run.code, run.stderr).toBe(0);
    const state = await readRingState(fleet.queue, fleet.keys, fleet.queueName);
    expect(state.ring).toMatchObject({ version: 2, buckets: expected });
    expect(state.change).toBeUndefined();
    // Every counter once, at its place under the fitted layout, with its value.
    expect(await misplaced(fleet, state.ring!)).toEqual([]);
    const layout = layoutOf(state.ring!);
    const encodings = new Set<string>();
    for (const [n, id] of ['a', 'b', 'c'].entries()) {
      const client = redis.server(1 + n).client();
      for (let b = 0; b < layout.buckets; b++) {
        const key = layout.bucketKey(b);
        if ((await client.exists(key)) === 1)
          encodings.add(`${id} ${String(await client.object('ENCODING', key))}`.split(' ')[1]!);
      }
    }
    expect([...encodings]).toEqual(['listpack']);

    // Fitted now: a second fit changes nothing.
    const again = await runCli(['ring', 'layout', '--buckets', 'fit'], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/the layout fits: \d+ hashes per node hold 2× these counters/);
    expect((await readRingState(fleet.queue, fleet.keys, fleet.queueName)).ring?.version).toBe(2);
  }, 60_000);

  it('derives the count from the fullest node and its own listpack limit', () => {
    const fill = (counters: number, listpackEntries: number) => ({
      node: 'n',
      counters,
      fullest: 0,
      listpackEntries,
      listpackKnown: true,
    });
    // 10M counters on the fullest node, limit 128 (mean 82 fields): 2 × 10M / 82.
    expect(fittedBuckets([fill(1_000_000, 128), fill(10_000_000, 128)])).toBe(
      Math.ceil(20_000_000 / 82),
    );
    // A node with a higher limit needs fewer hashes; the other still decides.
    expect(fittedBuckets([fill(10_000_000, 512), fill(9_000_000, 128)])).toBe(
      Math.ceil(18_000_000 / 82),
    );
    expect(fittedBuckets([fill(0, 128)])).toBe(1);
  });
});
