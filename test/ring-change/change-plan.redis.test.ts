import { describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { layoutOf, planChange, proposeRing, type RingRecord } from '../../src/ring-change/index.js';
import { useRedisServers } from '../support/redis-harness.js';
import { seedFleet, type Fleet } from './ring-change-fixture.js';

describe('planChange', () => {
  // 0: queue Redis, 1-4: nodes a, b, c, d.
  const redis = useRedisServers({ count: 5 });

  const clientsOf = (fleet: Fleet, ring: RingRecord): Map<string, Redis> =>
    new Map(ring.nodes.map((n) => [n.id, fleet.connect(n)]));

  /** What the plan must say, counted the slow way from the seeded names. */
  function expectedCounts(fleet: Fleet, to: RingRecord) {
    const from = layoutOf(fleet.ring);
    const target = layoutOf(to);
    let moving = 0;
    let changingNode = 0;
    for (const name of fleet.expected.keys()) {
      const a = from.locate(name);
      const b = target.locate(name);
      if (a.node !== b.node || a.key !== b.key) moving++;
      if (a.node !== b.node) changingNode++;
    }
    return { moving, changingNode };
  }

  it('adding d to 3 nodes of 20,000 counters: exact counts per node, measured share near ketama’s', async () => {
    const fleet = await seedFleet(redis, { counters: 20_000 });
    const to = proposeRing(fleet.ring, { kind: 'add', node: fleet.node('d') });
    const sizes = await Promise.all(fleet.ring.nodes.map((n) => fleet.connect(n).dbsize()));
    const plan = await planChange(fleet.ring, to, clientsOf(fleet, fleet.ring));
    const { moving, changingNode } = expectedCounts(fleet, to);
    expect(plan.counters).toBe(20_000);
    expect(plan.moving).toBe(moving);
    expect(plan.measuredShare).toBeCloseTo(changingNode / 20_000, 10);
    expect(Math.abs(plan.measuredShare - plan.expectedShare)).toBeLessThan(0.05);
    expect(plan.buckets).toEqual({ from: 64, to: 64 });
    expect(plan.perNode.map((n) => n.id)).toEqual(['a', 'b', 'c', 'd']);
    const d = plan.perNode.find((n) => n.id === 'd')!;
    expect(d).toMatchObject({ before: 0, movingOut: 0, movingIn: moving, after: moving });
    expect(plan.perNode.reduce((s, n) => s + n.before, 0)).toBe(20_000);
    expect(plan.perNode.reduce((s, n) => s + n.after, 0)).toBe(20_000);
    for (const n of plan.perNode.filter((p) => p.id !== 'd'))
      expect(n.after).toBe(n.before - n.movingOut);
    // Reads only.
    expect(await Promise.all(fleet.ring.nodes.map((n) => fleet.connect(n).dbsize()))).toEqual(
      sizes,
    );
  });

  it('a layout change moves counters between hashes, not nodes', async () => {
    const fleet = await seedFleet(redis, { counters: 5000 });
    const to = proposeRing(fleet.ring, { kind: 'layout', buckets: 128 });
    const plan = await planChange(fleet.ring, to, clientsOf(fleet, fleet.ring));
    expect(plan.moving).toBe(expectedCounts(fleet, to).moving);
    // crc32 mod 128 keeps about half of the buckets of crc32 mod 64.
    expect(plan.moving / 5000).toBeGreaterThan(0.4);
    expect(plan.measuredShare).toBe(0);
    expect(plan.expectedShare).toBe(0);
    expect(plan.buckets).toEqual({ from: 64, to: 128 });
    for (const n of plan.perNode) expect(n.after).toBe(n.before);
  });

  it('removing a node: it ends empty, an empty fleet has a share of 0', async () => {
    const fleet = await seedFleet(redis, { counters: 3000 });
    const to = proposeRing(fleet.ring, { kind: 'remove', id: 'c' });
    const plan = await planChange(fleet.ring, to, clientsOf(fleet, fleet.ring));
    const c = plan.perNode.find((n) => n.id === 'c')!;
    expect(c.after).toBe(0);
    expect(c.movingOut).toBe(c.before);
    const empty = await seedFleet(redis, { counters: 0 });
    const none = await planChange(
      empty.ring,
      proposeRing(empty.ring, { kind: 'remove', id: 'c' }),
      clientsOf(empty, empty.ring),
    );
    expect(none).toMatchObject({ counters: 0, moving: 0, measuredShare: 0 });
    expect(none.expectedShare).toBeGreaterThan(0.2);
  });
});
