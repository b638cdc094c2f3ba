import { applyAccess } from '../support/apply-access.js';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CounterReader,
  INT64_MAX,
  MalformedUpdateError,
  UnsafeCounterValueError,
  type CounterValue,
  type CounterWatch,
  type ReaderNode,
  type ValueMode,
} from '../../src/reader/index.js';
import { HashRing } from '../../src/ring/index.js';
import { StorageLayout } from '../../src/storage/index.js';
import { FlushGroup } from '../../src/worker/flush-group.js';
import { HeldJob } from '../../src/worker/held-job.js';
import { NodeWriter } from '../../src/worker/node-writer.js';
import { uniquePrefix, useRedisServers } from '../support/redis-harness.js';

const IDS = ['a', 'b', 'c'];
const FLUSH_INTERVAL_MS = 1000;

type Update<M extends ValueMode> = [name: string, value: CounterValue<M>, node: string];

/** Collects what a watch delivers; `next(n)` waits for n more updates. */
function collector<M extends ValueMode>() {
  const updates: Array<Update<M>> = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  return {
    updates,
    callback(batch: Array<[string, CounterValue<M>]>, node: string) {
      for (const [name, value] of batch) updates.push([name, value, node]);
      for (const waiter of [...waiters]) {
        if (updates.length >= waiter.count) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    },
    /** Resolves when `count` updates in total have arrived; rejects after `ms`. */
    until(count: number, ms = 5000): Promise<void> {
      if (updates.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`only ${updates.length} of ${count} updates after ${ms} ms`)),
          ms,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
  };
}

describe('CounterReader.watch: live updates over pub/sub', () => {
  const redis = useRedisServers({ count: 3, appendonly: true });
  const prefix = uniquePrefix('watch');
  const ring = new HashRing(IDS.map((id) => ({ id, weight: 1 })));
  const layout = new StorageLayout(ring, prefix, 16);
  let nodes: ReaderNode[];
  let reader: CounterReader;
  let writers: NodeWriter[];
  let jobSeq = 0;

  /** Applies increments the way a worker flush does: the real apply script, which publishes. */
  async function flush(increments: ReadonlyArray<readonly [string, number]>): Promise<void> {
    const groups = IDS.map(() => new FlushGroup());
    const id = `test-job-${++jobSeq}`;
    for (const [name, delta] of increments)
      groups[IDS.indexOf(ring.locate(name))]!.add(name, delta);
    await Promise.all(
      groups.map(async (group, i) => {
        if (group.size === 0) return;
        group.jobs.push(new HeldJob(id, { v: 1, t: Date.now(), c: increments }, 0));
        const outcome = await writers[i]!.apply(
          group,
          [],
          await applyAccess(writers[i]!.redis, layout),
        );
        expect(outcome.kind).toBe('applied');
      }),
    );
  }

  /** A name placed on `node`. */
  function nameOn(node: string, stem: string): string {
    for (let i = 0; ; i++) if (ring.locate(`${stem}${i}`) === node) return `${stem}${i}`;
  }

  beforeAll(() => {
    nodes = IDS.map((id, i) => ({
      id,
      connection: { host: redis.server(i).host, port: redis.server(i).port },
    }));
    reader = new CounterReader({ nodes, ring, prefix, buckets: 16 });
    writers = IDS.map(
      (id, i) =>
        new NodeWriter(id, redis.server(i).client(), layout, {
          markerTtlSeconds: 600,
          markerGraceSeconds: 60,
          channel: layout.keys.updatesChannel(),
          publishChunk: 3,
        }),
    );
  });

  afterAll(async () => {
    await reader?.close();
  });

  it('delivers the new values of a real flush within one flush interval, from every node', async () => {
    const seen = collector<'number'>();
    const watch = reader.watch('*', seen.callback);
    try {
      await watch.ready();
      const names = IDS.flatMap((node) => [nameOn(node, 'page:'), nameOn(node, 'user:')]);
      await flush(names.map((name) => [name, 5]));
      const flushed = Date.now();
      await seen.until(names.length, FLUSH_INTERVAL_MS);
      expect(Date.now() - flushed).toBeLessThan(FLUSH_INTERVAL_MS);
      expect(new Set(seen.updates.map(([, , node]) => node))).toEqual(new Set(IDS));
      for (const [name, value, node] of seen.updates) {
        expect(value).toBe(5);
        expect(node).toBe(ring.locate(name));
      }
      await flush([[names[0]!, -2]]);
      await seen.until(names.length + 1);
      expect(seen.updates.at(-1)).toEqual([names[0], 3, ring.locate(names[0]!)]);
    } finally {
      await watch.close();
    }
  });

  it('filters by glob: only matching counters reach the callback', async () => {
    const pages = collector<'number'>();
    const digits = collector<'number'>();
    const pageWatch = reader.watch('page:*', pages.callback);
    const digitWatch = reader.watch('user:[0-9]', digits.callback);
    try {
      await Promise.all([pageWatch.ready(), digitWatch.ready()]);
      // Many names in one flush: the script publishes them in chunks of 3 lines.
      const names = ['page:x', 'page:y', 'user:1', 'user:12', 'other:1', 'user:9', 'pages'];
      await flush(names.map((name) => [name, 1]));
      await pages.until(2);
      await digits.until(2);
      // A later marker update proves nothing else was on its way.
      await flush([['page:z', 1]]);
      await pages.until(3);
      expect(pages.updates.map(([name]) => name).sort()).toEqual(['page:x', 'page:y', 'page:z']);
      expect(digits.updates.map(([name]) => name).sort()).toEqual(['user:1', 'user:9']);
    } finally {
      await Promise.all([pageWatch.close(), digitWatch.close()]);
    }
  });

  it('skips malformed lines without ending the subscription', async () => {
    const seen = collector<'number'>();
    const skipped: Error[] = [];
    const watch = reader.watch('*', seen.callback);
    watch.on('skipped', (err) => skipped.push(err));
    try {
      await watch.ready();
      const publisher = redis.server(0).client();
      const channel = layout.keys.updatesChannel();
      await publisher.publish(channel, 'no tab here');
      await publisher.publish(channel, 'ok:1\t7\nbad:value\tseven\n\t3\nok:2\t-8');
      await publisher.publish(channel, Buffer.from([0x6e, 0x09, 0xff])); // not UTF-8
      await seen.until(2);
      await flush([[nameOn('a', 'after:'), 1]]);
      await seen.until(3);
      expect(seen.updates.slice(0, 2)).toEqual([
        ['ok:1', 7, 'a'],
        ['ok:2', -8, 'a'],
      ]);
      expect(skipped.length).toBeGreaterThanOrEqual(2);
      expect(skipped.every((err) => err instanceof MalformedUpdateError)).toBe(true);
      expect((skipped[1] as MalformedUpdateError).reason).toMatch(/and 1 more line/);
    } finally {
      await watch.close();
    }
  });

  it('reports values a number watch cannot hold; a bigint watch gets them exactly', async () => {
    const exact = new CounterReader({ nodes, ring, prefix, buckets: 16, values: 'bigint' });
    const numbers = collector<'number'>();
    const bigints = collector<'bigint'>();
    const skipped: Error[] = [];
    const numberWatch = reader.watch('huge:*', numbers.callback);
    numberWatch.on('skipped', (err) => skipped.push(err));
    const bigintWatch = exact.watch('huge:*', bigints.callback);
    try {
      await Promise.all([numberWatch.ready(), bigintWatch.ready()]);
      await reader.set('huge:one', INT64_MAX);
      await bigints.until(1);
      expect(bigints.updates).toEqual([['huge:one', INT64_MAX, ring.locate('huge:one')]]);
      await reader.set('huge:one', 12);
      await numbers.until(1);
      expect(numbers.updates).toEqual([['huge:one', 12, ring.locate('huge:one')]]);
      expect(skipped).toHaveLength(1);
      expect(skipped[0]).toBeInstanceOf(UnsafeCounterValueError);
      await reader.reset('huge:one');
      await numbers.until(2);
      expect(numbers.updates[1]).toEqual(['huge:one', 0, ring.locate('huge:one')]);
    } finally {
      await exact.close();
      await numberWatch.close();
    }
  });

  it('survives a node restart: re-subscribes and delivers later updates', async () => {
    const seen = collector<'number'>();
    const watch = reader.watch('restart:*', seen.callback);
    const events: string[] = [];
    watch.on('disconnected', (node) => events.push(`disconnected ${node}`));
    watch.on('subscribed', (node) => events.push(`subscribed ${node}`));
    try {
      await watch.ready();
      const onB = nameOn('b', 'restart:');
      await flush([[onB, 1]]);
      await seen.until(1);

      const resubscribed = once(watch, 'subscribed');
      await redis.server(IDS.indexOf('b')).restart();
      const [node] = (await resubscribed) as [string];
      expect(node).toBe('b');
      expect(events).toContain('disconnected b');
      expect(reader.unwatchedNodes()).toEqual([]);

      // The writer's own connection reconnects by itself (ioredis), as a worker's would.
      await flush([[onB, 1]]);
      await seen.until(2);
      expect(seen.updates.at(-1)).toEqual([onB, 2, 'b']);
    } finally {
      await watch.close();
    }
  });

  it('starts while a node is down and subscribes once it is back', async () => {
    const late = new CounterReader({ nodes, ring, prefix, buckets: 16, connectTimeoutMs: 500 });
    const c = redis.server(IDS.indexOf('c'));
    await c.stop();
    try {
      const seen = collector<'number'>();
      const watch = late.watch('late:*', seen.callback);
      let ready = false;
      const readyPromise = watch.ready().then(() => (ready = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(ready).toBe(false);
      const down = late.unwatchedNodes();
      expect(down.map((d) => d.node)).toEqual(['c']);
      expect(down[0]!.error?.message).toMatch(/ECONNREFUSED/);
      await c.restart();
      await readyPromise;
      const onC = nameOn('c', 'late:');
      await flush([[onC, 4]]);
      await seen.until(1);
      expect(seen.updates).toEqual([[onC, 4, 'c']]);
    } finally {
      await late.close();
    }
  });

  it('stops delivering after close; a callback that throws surfaces as an error event', async () => {
    const seen = collector<'number'>();
    const watch = reader.watch('closing:*', seen.callback);
    const failing = reader.watch('closing:*', () => {
      throw new Error('callback bug');
    });
    const errors: unknown[] = [];
    failing.on('error', (err) => errors.push(err));
    await Promise.all([watch.ready(), failing.ready()]);
    await flush([['closing:1', 1]]);
    await seen.until(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toEqual([new Error('callback bug')]);
    await failing.close();
    const closing = watch.close();
    expect(watch.close()).toBe(closing);
    await closing;
    await flush([['closing:1', 1]]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seen.updates).toHaveLength(1);
    // A new watch after the last one closed opens new subscriptions.
    const again = collector<'number'>();
    const reopened: CounterWatch = reader.watch('closing:*', again.callback);
    await reopened.ready();
    await flush([['closing:1', 1]]);
    await again.until(1);
    expect(again.updates).toEqual([['closing:1', 3, ring.locate('closing:1')]]);
    await reopened.close();
  });
});
