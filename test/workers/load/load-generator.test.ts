import { describe, expect, it } from 'vitest';
import { LoadGenerator, type IncrementSink } from '../../../workers/load/index.js';

interface FakeBatch {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
  readonly deltas: Map<string, number>;
  increments: number;
}

/**
 * Producer semantics without a queue: one promise per batch shared by its increments, a batch
 * sealed at `maxBatch` distinct counters or after a linger, settled a little later, refusals
 * (a fresh rejected promise) past `refuseAbove` pending. Records what it confirmed.
 */
class FakeSink implements IncrementSink {
  pendingIncrements = 0;
  readonly confirmed = new Map<string, number>();
  confirmedIncrements = 0;
  private open: FakeBatch | undefined;
  private sealed = 0;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly options: {
      maxBatch: number;
      fail?: (batch: number) => boolean;
      refuseAbove?: number;
    },
  ) {}

  increment(name: string, by: number): Promise<void> {
    if (
      this.options.refuseAbove !== undefined &&
      this.pendingIncrements >= this.options.refuseAbove
    )
      return Promise.reject(new Error('producer full'));
    let batch = this.open;
    if (batch === undefined) {
      let resolve!: () => void;
      let reject!: (error: Error) => void;
      const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
      promise.catch(() => undefined);
      batch = this.open = { promise, resolve, reject, deltas: new Map(), increments: 0 };
      const opened = batch;
      setTimeout(() => this.open === opened && this.seal(), 2);
    }
    batch.deltas.set(name, (batch.deltas.get(name) ?? 0) + by);
    batch.increments++;
    this.pendingIncrements++;
    const promise = batch.promise;
    if (batch.deltas.size >= this.options.maxBatch) this.seal();
    return promise;
  }

  async flush(): Promise<void> {
    this.seal();
    await Promise.allSettled([...this.inFlight]);
  }

  private seal(): void {
    const batch = this.open;
    if (batch === undefined) return;
    this.open = undefined;
    const index = ++this.sealed;
    const settled = new Promise<void>((resolve) =>
      setTimeout(
        () => {
          this.pendingIncrements -= batch.increments;
          if (this.options.fail?.(index) === true) {
            batch.reject(new Error(`batch ${index} failed`));
          } else {
            for (const [name, delta] of batch.deltas)
              this.confirmed.set(name, (this.confirmed.get(name) ?? 0) + delta);
            this.confirmedIncrements += batch.increments;
            batch.resolve();
          }
          resolve();
        },
        1 + (index % 3),
      ),
    );
    this.inFlight.add(settled);
    void settled.then(() => this.inFlight.delete(settled));
  }
}

function mergedConfirmed(sinks: readonly FakeSink[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const sink of sinks)
    for (const [name, total] of sink.confirmed) out.set(name, (out.get(name) ?? 0) + total);
  return out;
}

describe('LoadGenerator', () => {
  it('sends every increment and rebuilds exactly what was confirmed, over several sinks', async () => {
    const sinks = [new FakeSink({ maxBatch: 300 }), new FakeSink({ maxBatch: 300 })];
    const load = new LoadGenerator({ total: 100_001, counters: 5000, zipf: 1.1, seed: 4 }, sinks);
    const result = await load.run();
    expect(result).toMatchObject({ sent: 100_001, confirmed: 100_001, failed: 0, stopped: false });
    expect(result.batches).toBeGreaterThan(100);
    expect(load.confirmedTotals().toMap()).toEqual(mergedConfirmed(sinks));
  });

  it('counts failed batches apart and leaves them out of the totals', async () => {
    const sinks = [new FakeSink({ maxBatch: 200, fail: (batch) => batch % 3 === 0 })];
    const load = new LoadGenerator({ total: 50_000, counters: 2000, zipf: 1, seed: 8 }, sinks);
    const result = await load.run();
    expect(result.failed).toBeGreaterThan(0);
    expect(result.confirmed + result.failed).toBe(50_000);
    expect(result.confirmed).toBe(sinks[0]!.confirmedIncrements);
    expect(result.errors[0]).toMatch(/batch \d+ failed/);
    expect(load.confirmedTotals().toMap()).toEqual(mergedConfirmed(sinks));
  });

  it('accounts increments the sink refuses outright, even in the middle of a batch', async () => {
    // The generator allows more in flight than the sink: the sink refuses some increments.
    const sinks = [new FakeSink({ maxBatch: 5000, refuseAbove: 1000 })];
    const load = new LoadGenerator(
      { total: 30_000, counters: 500, zipf: 0.8, seed: 2, maxUnconfirmed: 20_000 },
      sinks,
    );
    const result = await load.run();
    expect(result.failed).toBeGreaterThan(0);
    expect(result.confirmed).toBe(sinks[0]!.confirmedIncrements);
    expect(result.confirmed + result.failed).toBe(30_000);
    expect(load.confirmedTotals().toMap()).toEqual(mergedConfirmed(sinks));
  });

  it('waits for confirmations instead of passing maxUnconfirmed', async () => {
    const sink = new FakeSink({ maxBatch: 100, refuseAbove: 2000 });
    const load = new LoadGenerator(
      { total: 20_000, counters: 1000, seed: 3, maxUnconfirmed: 2000 },
      [sink],
    );
    const result = await load.run();
    expect(result).toMatchObject({ confirmed: 20_000, failed: 0 });
  });

  it('is deterministic: the same seed gives the same totals', async () => {
    const run = async (seed: number) => {
      const load = new LoadGenerator({ total: 20_000, counters: 300, zipf: 1.2, seed }, [
        new FakeSink({ maxBatch: 50 }),
      ]);
      await load.run();
      return load.confirmedTotals().toMap();
    };
    expect(await run(77)).toEqual(await run(77));
    expect(await run(78)).not.toEqual(await run(77));
  });

  it('stops early on the signal and still settles and reports what was sent', async () => {
    const controller = new AbortController();
    const sink = new FakeSink({ maxBatch: 100 });
    const load = new LoadGenerator(
      { total: 1_000_000, counters: 100, seed: 1, rate: 100_000, signal: controller.signal },
      [sink],
    );
    setTimeout(() => controller.abort(), 100);
    const result = await load.run();
    expect(result.stopped).toBe(true);
    expect(result.sent).toBeLessThan(1_000_000);
    expect(result.confirmed).toBe(result.sent);
    expect(load.confirmedTotals().toMap()).toEqual(sink.confirmed);
  });

  it('holds the rate', async () => {
    const load = new LoadGenerator({ total: 10_000, counters: 100, seed: 1, rate: 40_000 }, [
      new FakeSink({ maxBatch: 100 }),
    ]);
    const started = performance.now();
    const result = await load.run();
    const seconds = (performance.now() - started) / 1000;
    // 10,000 at 40,000/s: 0.25 s less the initial 20 ms burst.
    expect(seconds).toBeGreaterThan(0.2);
    expect(result.confirmed).toBe(10_000);
  });
});
