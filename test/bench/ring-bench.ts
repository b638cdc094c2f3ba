import { createHash, hash as cryptoHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import {
  HashRing,
  measureBalance,
  measureMovement,
  syntheticKeys,
  type HashRingOptions,
  type RingNode,
} from '../../src/ring/index.js';
import { Md5 } from '../../src/ring/md5.js';

export interface RingBenchOptions {
  /** A few seconds instead of ~15 s; figures are noisier. */
  readonly quick: boolean;
}

/** Operations per second of each way to get a name's md5 (why the ring hashes in JS). */
export interface HashRates {
  readonly jsMd5: number;
  readonly cryptoHashHex: number;
  readonly cryptoHashBuffer: number;
  readonly createHash: number;
}

export interface LookupRates {
  /** Distinct names, cache off: md5 + binary search. */
  readonly uncached: number;
  /**
   * Distinct names with the default cache: every lookup misses, so after one window of misses
   * the ring stops consulting its memo (HashRing's hit-rate review) and this nears `uncached`.
   */
  readonly cold: number;
  /** A Zipf(1.1) stream over a pool of names, new string objects (as parsed from jobs). */
  readonly zipfMemoized: number;
  /** The same stream with the cache off. */
  readonly zipfUncached: number;
  /**
   * As a flush calls it: each pass looks up once each distinct name of the Zipf stream, names
   * whose string hash V8 already computed (they are keys of the buffer's Map); cache warm.
   */
  readonly flushMemoized: number;
  readonly flushUncached: number;
  readonly zipfPool: number;
  readonly zipfLookups: number;
  /** Distinct names per flush. */
  readonly flushNames: number;
}

export interface BalanceFigure {
  readonly label: string;
  readonly nodes: number;
  readonly points: number;
  readonly maxOverMean: number;
  readonly stddev: number;
}

export interface MovementFigure {
  readonly label: string;
  readonly fraction: number;
  readonly ideal: number;
}

export interface RingBenchResult {
  readonly node: string;
  readonly quick: boolean;
  readonly hashesPerSecond: HashRates;
  readonly lookupsPerSecond: LookupRates;
  readonly balanceKeys: number;
  readonly balance: readonly BalanceFigure[];
  readonly movement: readonly MovementFigure[];
  readonly durationMs: number;
}

const ZIPF_EXPONENT = 1.1;
/** Bounds passes whose input is rebuilt each time (fresh strings), which costs more than the pass. */
const MAX_PASSES = 15;

/** Measures ring lookup speed (cold, memoized), md5 options, balance and keys moved. */
export async function runRingBench(opts: RingBenchOptions): Promise<RingBenchResult> {
  const started = performance.now();
  const scale = opts.quick ? 1 : 2;
  const budgetMs = opts.quick ? 150 : 600;
  const distinct = 200_000 * scale;
  const names = Array.from({ length: distinct }, (_, i) => `page:/articles/${i}:views`);

  const md5 = new Md5();
  const some = names.slice(0, 50_000 * scale);
  const hashesPerSecond: HashRates = {
    jsMd5: rate(some, budgetMs, (name) => md5.digest(name)),
    cryptoHashHex: rate(some, budgetMs, (name) => cryptoHash('md5', name, 'hex').length),
    cryptoHashBuffer: rate(some, budgetMs, (name) => cryptoHash('md5', name, 'buffer')[0]!),
    createHash: rate(some, budgetMs, (name) => createHash('md5').update(name).digest()[0]!),
  };
  await yieldToEventLoop();

  const nodes = equalNodes(10);
  const ring = (options: Partial<HashRingOptions> = {}): HashRing => new HashRing(nodes, options);
  const uncached = rate(names, budgetMs, locator(ring({ cacheSize: 0 })));
  // New names for every pass so the default cache only ever misses; flattened by a JSON round
  // trip, as concatenated strings would also time V8 flattening them.
  const cold = rate(names, budgetMs, locator(ring()), (pass) =>
    flat(names.map((name) => `${name}:${pass}`)),
  );
  const pool = names.slice(0, 100_000);
  // The same stream in quick and full runs: its ~27k distinct names fit the default cache.
  const sequence = zipfSequence(pool, 200_000, ZIPF_EXPONENT);
  // New string objects whose hashes V8 has not computed yet, as names parsed from jobs are.
  const fresh = (): string[] => flat(sequence);
  const memo = ring();
  const zipfMemoized = rate(sequence, budgetMs, locator(memo), fresh);
  const zipfUncached = rate(sequence, budgetMs, locator(ring({ cacheSize: 0 })), fresh);
  const window = sequence;
  const flushNames = new Set(window).size;
  const flushWindow = (): string[] => [...new Map(flat(window).map((name) => [name, 1])).keys()];
  const flushMemoized = rate(window, budgetMs, locator(memo), flushWindow);
  const flushUncached = rate(window, budgetMs, locator(ring({ cacheSize: 0 })), flushWindow);
  await yieldToEventLoop();

  const balanceKeys = syntheticKeys(100_000 * (opts.quick ? 1 : 2));
  const layouts: [string, number, Partial<HashRingOptions>][] = [
    ['ketama, 3 nodes', 3, {}],
    ['ketama, 10 nodes', 10, {}],
    ['points 1000/weight, 3 nodes', 3, { algorithm: 'points', pointsPerWeight: 1000 }],
    ['points 1000/weight, 10 nodes', 10, { algorithm: 'points', pointsPerWeight: 1000 }],
  ];
  const balance = layouts.map(([label, count, options]) => {
    const measured = new HashRing(equalNodes(count), options);
    const { maxOverMean, stddev } = measureBalance(measured, balanceKeys);
    return { label, nodes: count, points: measured.size, maxOverMean, stddev };
  });
  const movement = layouts.map(([label, count, options]) => {
    const before = new HashRing(equalNodes(count), options);
    const after = before.withNode({ id: 'node-new', weight: 1 });
    const { fraction, ideal } = measureMovement(before, after, balanceKeys);
    return { label: `${label} + 1`, fraction, ideal };
  });

  return {
    node: process.version,
    quick: opts.quick,
    hashesPerSecond,
    lookupsPerSecond: {
      uncached,
      cold,
      zipfMemoized,
      zipfUncached,
      flushMemoized,
      flushUncached,
      zipfPool: pool.length,
      zipfLookups: sequence.length,
      flushNames,
    },
    balanceKeys: balanceKeys.length,
    balance,
    movement,
    durationMs: performance.now() - started,
  };
}

/** Human-readable report of {@link runRingBench}. */
export function formatRingBench(result: RingBenchResult): string {
  const m = (perSecond: number): string => `${(perSecond / 1e6).toFixed(2)} M/s`;
  const h = result.hashesPerSecond;
  const l = result.lookupsPerSecond;
  const lines = [
    `ring bench (node ${result.node}${result.quick ? ', quick' : ''})`,
    `md5 of a name: js Md5 ${m(h.jsMd5)}, crypto.hash hex ${m(h.cryptoHashHex)}, ` +
      `crypto.hash buffer ${m(h.cryptoHashBuffer)}, createHash ${m(h.createHash)}`,
    `lookups, 10 nodes ketama: uncached ${m(l.uncached)}, cold (new names, default cache) ${m(l.cold)}`,
    `lookups, Zipf(${ZIPF_EXPONENT}) stream of ${l.zipfLookups} over ${l.zipfPool} names: ` +
      `memoized ${m(l.zipfMemoized)}, cache off ${m(l.zipfUncached)} ` +
      `(x${(l.zipfMemoized / l.zipfUncached).toFixed(2)})`,
    `lookups, flush of ${l.flushNames} distinct hot names: memoized ${m(l.flushMemoized)}, ` +
      `cache off ${m(l.flushUncached)} (x${(l.flushMemoized / l.flushUncached).toFixed(2)})`,
    `balance over ${result.balanceKeys} keys (max/mean, stddev of share/expected):`,
    ...result.balance.map(
      (b) =>
        `  ${b.label.padEnd(30)} ${String(b.points).padStart(6)} points  ` +
        `max/mean ${b.maxOverMean.toFixed(3)}  stddev ${b.stddev.toFixed(3)}`,
    ),
    'keys moved when adding one node (fraction, ideal 1/(n+1)):',
    ...result.movement.map(
      (mv) =>
        `  ${mv.label.padEnd(34)} ${(mv.fraction * 100).toFixed(2)}% ` +
        `(ideal ${(mv.ideal * 100).toFixed(2)}%, ratio ${(mv.fraction / mv.ideal).toFixed(3)})`,
    ),
    `(${(result.durationMs / 1000).toFixed(1)} s)`,
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * Passes over `input` until `budgetMs` is spent (after one warm-up pass) and returns the median
 * rate of the timed passes. `prepare` builds each pass's input outside the timing.
 */
function rate(
  input: readonly string[],
  budgetMs: number,
  fn: (name: string) => unknown,
  prepare: (pass: number) => readonly string[] = () => input,
): number {
  let sink = 0;
  const pass = (names: readonly string[]): number => {
    const start = performance.now();
    for (let i = 0; i < names.length; i++) if (fn(names[i]!) === undefined) sink++;
    return names.length / ((performance.now() - start) / 1000);
  };
  pass(prepare(0));
  const rates: number[] = [];
  let spent = 0;
  for (let n = 1; rates.length < 3 || (spent < budgetMs && rates.length < MAX_PASSES); n++) {
    const names = prepare(n);
    const start = performance.now();
    rates.push(pass(names));
    spent += performance.now() - start;
  }
  if (sink < 0) throw new Error('unreachable: keeps the results alive');
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)]!;
}

/** Copies of `names` as new, flat string objects (as JSON.parse of a job payload gives). */
function flat(names: readonly string[]): string[] {
  return JSON.parse(JSON.stringify(names)) as string[];
}

function locator(ring: HashRing): (name: string) => string {
  return (name) => ring.locate(name);
}

function equalNodes(count: number): RingNode[] {
  return Array.from({ length: count }, (_, i) => ({ id: `node-${i + 1}`, weight: 1 }));
}

/** `length` draws from `pool` with P(rank r) ∝ 1/r^s, from a fixed-seed generator. */
function zipfSequence(pool: readonly string[], length: number, s: number): string[] {
  const cdf = new Float64Array(pool.length);
  let total = 0;
  for (let r = 0; r < pool.length; r++) cdf[r] = total += 1 / (r + 1) ** s;
  let seed = 0x2545f491;
  const random = (): number => {
    // xorshift32: deterministic, so every run measures the same sequence.
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 0x1_0000_0000;
  };
  return Array.from({ length }, () => {
    const target = random() * total;
    let low = 0;
    let high = pool.length - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (cdf[mid]! < target) low = mid + 1;
      else high = mid;
    }
    return pool[low]!;
  });
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runRingBench({ quick: process.argv.includes('--quick') });
  process.stdout.write(
    process.argv.includes('--json')
      ? `${JSON.stringify(result, null, 2)}\n`
      : formatRingBench(result),
  );
}
