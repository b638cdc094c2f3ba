/**
 * Workers follow the ring version live (docs/ring.md, "Workers" and "The trap"). The change is
 * simulated here, step by step as the protocol writes it (change record, fence, ring := to),
 * without the runner: what is tested is the worker's side of it.
 */
import type { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { RingMismatchError } from '../../src/errors/index.js';
import { describeRingDifferences, ringFingerprint } from '../../src/ring/index.js';
import {
  RingChangeRunner,
  hashRingOf,
  layoutOf,
  proposeRing,
  readRingState,
  ringRecord,
  type RingRecord,
} from '../../src/ring-change/index.js';
import { FlushBuffer } from '../../src/worker/flush-buffer.js';
import { HeldJob } from '../../src/worker/held-job.js';
import { NodeWriter } from '../../src/worker/node-writer.js';
import { CounterWorker } from '../../src/worker/index.js';
import { bucketStart, parseRollups } from '../../src/rollups/index.js';
import { uniquePrefix, useRedisServers, type RedisServers } from '../support/redis-harness.js';
import { counterValue, useStacks, waitFor, type Stack } from './worker-fixture.js';

const SETTINGS = {
  markerTtlSeconds: 3600,
  markerGraceSeconds: 60,
  channel: undefined,
  publishChunk: 100,
};

interface Change {
  readonly from: RingRecord;
  readonly to: RingRecord;
}

/**
 * A change adding node d (server 4) to the stack's ring: record (fencing), `<identity>#2` on
 * every node, then ring := to and phase moving in one MULTI, each step moving the epoch on.
 * `fencedMs` is how long the fence stands before the ring record names the new version.
 */
async function addNodeD(redis: RedisServers, s: Stack, fencedMs: number): Promise<Change> {
  const queue = redis.server(0).client();
  onTestFinished(() => void queue.quit());
  const keys = s.layout.keys;
  const state = await readRingState(queue, keys, s.queueName);
  const from = state.ring!;
  const d = redis.server(4);
  const to = ringRecord({
    ...from,
    version: from.version + 1,
    nodes: [...from.nodes, { id: 'd', weight: 1, url: `redis://${d.host}:${d.port}` }],
  });
  const change = (phase: string) =>
    JSON.stringify({
      kind: 'add',
      from,
      to,
      phase,
      startedAt: 1,
      updatedAt: 2,
      moved: 0,
      toMove: null,
    });
  await queue
    .multi()
    .set(keys.ringChange(s.queueName), change('fencing'))
    .incr(keys.ringEpoch(s.queueName))
    .exec();
  // Node d joins the fleet as a worker's first start would have made it.
  const fleet = await queue.get(keys.fleetId(s.queueName));
  const dClient = d.client();
  onTestFinished(() => void dClient.quit());
  await dClient.set(keys.nodeIdentity(), `${fleet}:d:joined`);
  await queue.hset(keys.fleetNodes(s.queueName), 'd', `${fleet}:d:joined`);
  const registered = await queue.hgetall(keys.fleetNodes(s.queueName));
  for (const node of to.nodes) {
    const client = node.id === 'd' ? dClient : s.server(node.id as 'a').client();
    if (node.id !== 'd') onTestFinished(() => void client.quit());
    await client.set(keys.nodeIdentity(), `${registered[node.id]}#${to.version}`);
  }
  await new Promise((resolve) => setTimeout(resolve, fencedMs));
  await queue
    .multi()
    .set(keys.fleetRing(s.queueName), JSON.stringify(to))
    .set(keys.ringChange(s.queueName), change('moving'))
    .incr(keys.ringEpoch(s.queueName))
    .exec();
  return { from, to };
}

/** A client per node id of both versions (d is server 4). */
function nodeClients(redis: RedisServers, s: Stack): Map<string, Redis> {
  const clients = new Map<string, Redis>([
    ['a', s.server('a').client()],
    ['b', s.server('b').client()],
    ['c', s.server('c').client()],
    ['d', redis.server(4).client()],
  ]);
  onTestFinished(() => {
    for (const c of clients.values()) void c.quit();
  });
  return clients;
}

/**
 * Each counter's total over both versions: the `from` partial sum folded into the `to`
 * location as the change's move does (HGET, HINCRBY, HDEL), then read there.
 */
async function foldAndRead(
  change: Change,
  clients: Map<string, Redis>,
  names: readonly string[],
): Promise<Map<string, number>> {
  const from = layoutOf(change.from);
  const to = layoutOf(change.to);
  const totals = new Map<string, number>();
  for (const name of names) {
    const a = from.locate(name);
    const b = to.locate(name);
    if (a.node !== b.node || a.key !== b.key) {
      const old = await clients.get(a.node)!.hget(a.key, a.field);
      if (old !== null) {
        await clients.get(b.node)!.hincrby(b.key, b.field, Number(old));
        await clients.get(a.node)!.hdel(a.key, a.field);
      }
    }
    totals.set(name, Number((await clients.get(b.node)!.hget(b.key, b.field)) ?? 0));
  }
  return totals;
}

describe('workers follow the ring version live', () => {
  // 0: queue, 1-3: nodes a, b, c, 4: node d (added by the change).
  const redis = useRedisServers({ count: 5 });
  const stack = useStacks(redis, uniquePrefix('follow'));

  it('switches to v2 under a steady stream: fenced applies counted, jobs released, nothing lost, each increment once', async () => {
    const s = stack();
    const { worker, metrics } = s.worker({ flushIntervalMs: 50 });
    const switches: Array<{
      from: number;
      to: number;
      nodes: readonly string[];
      released: number;
    }> = [];
    worker.on('switched', (e) => switches.push(e));
    await worker.start();
    expect(worker.ring.version).toBe(1);

    const names = Array.from({ length: 60 }, (_, i) => `steady-${i}`);
    const expected = new Map<string, number>();
    let seq = 0;
    let producing = true;
    const producer = (async () => {
      while (producing) {
        const id = `steady-${++seq}`;
        const c: Array<[string, number]> = [];
        for (let k = 0; k < 10; k++) {
          const name = names[(seq * 7 + k * 13) % names.length]!;
          const delta = 1 + ((seq + k) % 5);
          c.push([name, delta]);
          expected.set(name, (expected.get(name) ?? 0) + delta);
        }
        await s.add({ v: 1, t: Date.now(), b: id, c }, id, true);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();

    await waitFor(
      'jobs flushed under v1',
      async () => (await counterValue(metrics.incrementsFlushed)) > 200,
    );
    const change = await addNodeD(redis, s, 400);
    // What the first worker registered: version 1, every node's URL without credentials.
    expect(change.from).toMatchObject({
      version: 1,
      nodes: (['a', 'b', 'c'] as const).map((id) => ({ id, weight: 1, url: s.server(id).url })),
    });
    await waitFor('the switch to v2', () => worker.ring.version === 2, 15_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    producing = false;
    await producer;
    await waitFor(
      'every job to complete',
      async () => {
        const counts = await s.queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
        return (
          (counts.waiting ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0) === 0 &&
          worker.held === 0
        );
      },
      30_000,
    );
    expect(await s.queue.getJobCounts('failed')).toEqual({ failed: 0 });

    expect(switches).toEqual([
      { from: 1, to: 2, nodes: ['a', 'b', 'c', 'd'], released: expect.any(Number) as number },
    ]);
    expect(worker.ring).toEqual({ version: 2, nodes: ['a', 'b', 'c', 'd'] });
    expect(await counterValue(metrics.ringFencedApplies)).toBeGreaterThan(0);
    expect(await counterValue(metrics.ringSwitches)).toBe(1);
    const text = await metrics.registry.metrics();
    expect(text).toContain('countd_ring_version 2');
    expect(text).toContain('countd_ring_change_phase{phase="moving"} 1');
    expect(text).toContain('countd_ring_change_phase{phase="fencing"} 0');
    expect(text).toContain('countd_ring_nodes 4');
    expect(await worker.ready()).toBe(true);

    const queue = redis.server(0).client();
    onTestFinished(() => void queue.quit());
    const entries = Object.values(await queue.hgetall(s.layout.keys.fleetWorkers(s.queueName)));
    expect(entries.map((e) => (JSON.parse(e) as { version: number }).version)).toEqual([2]);

    const totals = await foldAndRead(change, nodeClients(redis, s), names);
    expect(Object.fromEntries(totals)).toEqual(Object.fromEntries(expected));
    console.log(
      `[ring follow] ${seq} jobs, switch v1 -> v2 released ${switches[0]?.released} held jobs, ` +
        `${await counterValue(metrics.ringFencedApplies)} fenced applies, totals exact`,
    );

    await worker.close(5000);
    expect(await queue.hlen(s.layout.keys.fleetWorkers(s.queueName))).toBe(0);
  }, 60_000);

  it('the trap: a job partly applied under v1, redelivered under v2, counts each counter once (and reports what v1 refused)', async () => {
    const s = stack();
    const { worker } = s.worker({ flushIntervalMs: 50 });
    await worker.start();
    const change = await addNodeD(redis, s, 50);
    await waitFor('the switch to v2', () => worker.ring.version === 2, 15_000);

    const from = layoutOf(change.from);
    const on = (node: string, stem: string) => {
      const found: string[] = [];
      for (let i = 0; found.length < 3; i++)
        if (from.locate(`${stem}-${i}`).node === node) found.push(`${stem}-${i}`);
      return found;
    };
    const onA = on('a', 'trap-a');
    const onB = on('b', 'trap-b');
    const pairs: Array<[string, number]> = [...onA, ...onB].map((n, i) => [n, 10 + i]);
    const data = { v: 1 as const, t: Date.now(), b: 'trap-token', c: pairs };
    const clients = nodeClients(redis, s);
    const a = clients.get('a')!;
    // onA[0] holds a string where v1 put it: the v1 apply refuses that counter.
    const refusedAt = from.locate(onA[0]!);
    await a.hset(refusedAt.key, refusedAt.field, 'x');

    // Node a's part applied under v1 (it landed before the fence: here it is let in with the
    // identity a holds now), with the job's v1 marker and instance.
    const writer = new NodeWriter('a', a, from, SETTINGS, 1);
    const buffer = new FlushBuffer(1, () => 0, 1000);
    const onlyA = { ...data, c: pairs.filter(([n]) => onA.includes(n)) };
    buffer.add(new HeldJob('trap-1', onlyA, 0), onlyA);
    const [group] = buffer.take(0);
    const identity = (await a.get(s.layout.keys.nodeIdentity()))!;
    const applied = await writer.apply(group!, [], {
      identity,
      deadline: Date.now() + 60_000,
      applyId: 'trap-apply',
    });
    expect(applied).toMatchObject({ kind: 'applied', refused: [{ counter: onA[0] }] });
    expect(await a.get(s.layout.keys.applied('trap-1'))).toMatch(/^trap-token\t/);

    // Redelivered under v2.
    await s.add(data, 'trap-1');
    await waitFor(
      'trap-1 to fail with what v1 refused',
      async () => (await s.queue.getJobState('trap-1')) === 'failed',
    );
    const job = await s.queue.getJob('trap-1');
    expect(job?.failedReason).toMatch(
      new RegExp(`counters refused.*1 increment not applied: ${onA[0]} \\+10 on node a`),
    );
    expect((job?.data as { r?: unknown }).r).toEqual([[onA[0], 10]]);
    expect(await a.hget(refusedAt.key, refusedAt.field)).toBe('x');
    await a.hdel(refusedAt.key, refusedAt.field);

    const totals = await foldAndRead(change, clients, [...onA.slice(1), ...onB]);
    expect(Object.fromEntries(totals)).toEqual(Object.fromEntries(pairs.slice(1)));
  }, 30_000);

  it('after the switch a worker with the old node list is refused naming version 2; one with the new list joins at 2', async () => {
    const s = stack();
    const { worker } = s.worker();
    await worker.start();
    const change = await addNodeD(redis, s, 50);
    await waitFor('the switch to v2', () => worker.ring.version === 2, 15_000);

    const stale = s.worker().worker;
    const refused = await stale.start().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(RingMismatchError);
    expect((refused as Error).message).toMatch(
      /the fleet's ring is version 2 \(nodes a, b, c, d\)/,
    );

    const ring = hashRingOf(change.to);
    const { fingerprint, canonical } = ringFingerprint({
      ...ring.definition,
      buckets: change.to.buckets,
      prefix: change.to.prefix,
    });
    const d = redis.server(4);
    const joined = new CounterWorker({
      queue: { host: redis.server(0).host, port: redis.server(0).port },
      queueName: s.queueName,
      nodes: [
        ...(['a', 'b', 'c'] as const).map((id) => ({
          id,
          connection: { host: s.server(id).host, port: s.server(id).port },
        })),
        { id: 'd', connection: { host: d.host, port: d.port } },
      ],
      ring,
      fleet: { fingerprint, canonical, describeDifferences: describeRingDifferences },
      prefix: s.prefix,
      buckets: change.to.buckets,
    });
    onTestFinished(() => joined.close(2000).then(() => undefined));
    await joined.start();
    expect(joined.ring).toEqual({ version: 2, nodes: ['a', 'b', 'c', 'd'] });
    await s.add({ v: 1, t: Date.now(), c: [['joined-1', 3]] }, 'joined-1');
    await waitFor(
      'joined-1 to complete',
      async () => (await s.queue.getJobState('joined-1')) === 'completed',
    );
    const loc = layoutOf(change.to).locate('joined-1');
    const client = loc.node === 'd' ? d.client() : s.server(loc.node as 'a').client();
    onTestFinished(() => void client.quit());
    expect(await client.hget(loc.key, loc.field)).toBe('3');
    expect(await client.get(s.layout.keys.applied('joined-1', 2))).not.toBe(null);
  }, 30_000);
  it('with the real runner (add d): the worker follows fencing, moving, settling and cleanup; totals exact at their new place', async () => {
    const s = stack();
    const { worker, metrics } = s.worker({ flushIntervalMs: 50 });
    await worker.start();
    const queue = redis.server(0).client();
    onTestFinished(() => void queue.quit());
    const clients = nodeClients(redis, s);
    const names = Array.from({ length: 200 }, (_, i) => `runner-${i}`);
    const expected = new Map<string, number>();
    let seq = 0;
    let producing = true;
    const producer = (async () => {
      while (producing) {
        const id = `runner-${++seq}`;
        const c: Array<[string, number]> = [];
        for (let k = 0; k < 20; k++) {
          const name = names[(seq * 11 + k * 17) % names.length]!;
          c.push([name, 1 + k]);
          expected.set(name, (expected.get(name) ?? 0) + 1 + k);
        }
        await s.add({ v: 1, t: Date.now(), b: id, c }, id, true);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    await waitFor(
      'jobs flushed under v1',
      async () => (await counterValue(metrics.incrementsFlushed)) > 500,
    );
    const { ring } = await readRingState(queue, s.layout.keys, s.queueName);
    const d = redis.server(4);
    const to = proposeRing(ring!, { kind: 'add', node: { id: 'd', weight: 1, url: d.url } });
    const runner = new RingChangeRunner({
      queue,
      queueName: s.queueName,
      connect: (node) => clients.get(node.id)!,
      settlePollMs: 50,
    });
    const phases: string[] = [];
    runner.on('phase', (p) => phases.push(p));
    await runner.begin('add', to);
    await runner.run();
    expect(phases).toEqual(['fencing', 'moving', 'settling', 'cleanup', 'done']);
    expect(worker.ring).toEqual({ version: 2, nodes: ['a', 'b', 'c', 'd'] });
    producing = false;
    await producer;
    await waitFor(
      'every job to complete',
      async () => {
        const counts = await s.queue.getJobCounts('waiting', 'active', 'delayed');
        return (
          (counts.waiting ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0) === 0 &&
          worker.held === 0
        );
      },
      30_000,
    );
    expect(await s.queue.getJobCounts('failed')).toEqual({ failed: 0 });
    const layout = layoutOf(to);
    const totals = new Map<string, number>();
    for (const name of names) {
      const { node, key, field } = layout.locate(name);
      totals.set(name, Number((await clients.get(node)!.hget(key, field)) ?? 0));
    }
    expect(Object.fromEntries(totals)).toEqual(Object.fromEntries(expected));
    const text = await metrics.registry.metrics();
    expect(text).toContain('countd_ring_version 2');
    console.log(
      `[ring follow, runner] ${seq} jobs, phases ${phases.join(' > ')}, ` +
        `${await counterValue(metrics.ringFencedApplies)} fenced applies, totals exact at the new places`,
    );
  }, 60_000);

  it('with the real runner (layout --rollups): a running fleet without rollups starts writing time buckets', async () => {
    const s = stack();
    const { worker } = s.worker({ flushIntervalMs: 50 });
    await worker.start();
    const queue = redis.server(0).client();
    onTestFinished(() => void queue.quit());
    const clients = nodeClients(redis, s);
    let seq = 0;
    const send = async (names: readonly string[]) => {
      const id = `rollups-${++seq}`;
      await s.add({ v: 1, t: Date.now(), b: id, c: names.map((n) => [n, 1]) }, id, true);
    };
    const before = Array.from({ length: 50 }, (_, i) => `before-${i}`);
    await send(before);
    const { ring } = await readRingState(queue, s.layout.keys, s.queueName);
    const rollups = parseRollups('minute:1h,hour:2d', 'rollups');
    const to = proposeRing(ring!, { kind: 'layout', rollups });
    const runner = new RingChangeRunner({
      queue,
      queueName: s.queueName,
      connect: (node) => clients.get(node.id)!,
      settlePollMs: 50,
    });
    await runner.begin('layout', to);
    await runner.run();
    // The worker follows on its own: the change can end before it has read the new version
    // (nothing it held needed the settling phase to wait for it).
    await waitFor('the switch to v2', () => worker.ring.version === 2, 15_000);
    // Sent once the change is done: in the totals and in the minute and hour buckets.
    const after = Array.from({ length: 50 }, (_, i) => `after-${i}`);
    const sentAt = Date.now();
    await send(after);
    await send(after);
    await waitFor(
      'every job to complete',
      async () => {
        const counts = await s.queue.getJobCounts('waiting', 'active', 'delayed');
        return (counts.waiting ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0) === 0;
      },
      30_000,
    );
    const layout = layoutOf(to);
    const read = async (name: string, granularity?: 'minute' | 'hour') => {
      const { node, key } = layout.locate(name);
      const hash =
        granularity === undefined
          ? key
          : layout.keys.series(
              granularity,
              bucketStart(sentAt, granularity === 'minute' ? 60_000 : 3_600_000),
              layout.bucketOf(name),
            );
      return clients.get(node)!.hget(hash, name);
    };
    for (const name of before) expect(await read(name)).toBe('1');
    for (const name of after) {
      expect(await read(name)).toBe('2');
      // A minute boundary between the two sends would split them: the hour holds both.
      expect(await read(name, 'hour')).toBe('2');
    }
    expect(await s.queue.getJobCounts('failed')).toEqual({ failed: 0 });
  }, 60_000);
});
