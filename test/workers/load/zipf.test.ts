import { describe, expect, it } from 'vitest';
import { LoadStream, Prng, ZipfSampler, drawDelta } from '../../../workers/load/index.js';

function frequencies(sampler: ZipfSampler, draws: number, seed = 1): Float64Array {
  const rng = new Prng(seed);
  const counts = new Float64Array(sampler.counters);
  for (let i = 0; i < draws; i++) counts[sampler.sample(rng)]!++;
  return counts.map((c) => c / draws);
}

describe('ZipfSampler', () => {
  it('s = 0 is uniform', () => {
    const sampler = new ZipfSampler(10, 0);
    for (const f of frequencies(sampler, 200_000)) expect(f).toBeCloseTo(0.1, 2);
  });

  it('draws index i with probability ∝ 1/(i+1)^s', () => {
    const sampler = new ZipfSampler(1000, 1.1);
    const f = frequencies(sampler, 2_000_000);
    let total = 0;
    for (let i = 0; i < 1000; i++) total += sampler.probability(i);
    expect(total).toBeCloseTo(1, 9);
    expect(sampler.probability(0) / sampler.probability(1)).toBeCloseTo(2 ** 1.1, 9);
    // The head, where the skew is, within 2% of its probability; the 100 coldest together too.
    for (let i = 0; i < 20; i++) {
      expect(Math.abs(f[i]! / sampler.probability(i) - 1)).toBeLessThan(0.02);
    }
    let tail = 0;
    let tailExpected = 0;
    for (let i = 900; i < 1000; i++) {
      tail += f[i]!;
      tailExpected += sampler.probability(i);
    }
    expect(Math.abs(tail / tailExpected - 1)).toBeLessThan(0.05);
  });

  it('stays in range and handles one counter', () => {
    const rng = new Prng(3);
    const one = new ZipfSampler(1, 2);
    const many = new ZipfSampler(7, 0.5);
    let bad = 0;
    for (let i = 0; i < 10_000; i++) {
      if (one.sample(rng) !== 0) bad++;
      const j = many.sample(rng);
      if (!(j >= 0 && j < 7 && Number.isInteger(j))) bad++;
    }
    expect(bad).toBe(0);
  });

  it('rejects bad parameters', () => {
    expect(() => new ZipfSampler(0, 1)).toThrow(RangeError);
    expect(() => new ZipfSampler(1.5, 1)).toThrow(RangeError);
    expect(() => new ZipfSampler(10, -1)).toThrow(RangeError);
    expect(() => new ZipfSampler(10, Number.NaN)).toThrow(RangeError);
  });
});

describe('Prng and LoadStream', () => {
  it('same seed and lane, same stream; another lane or seed, another stream', () => {
    const zipf = new ZipfSampler(100, 1);
    const take = (seed: number, lane: number) => {
      const s = new LoadStream(seed, lane, zipf);
      return Array.from({ length: 50 }, () => (s.next(), `${s.index}/${s.delta}`)).join(' ');
    };
    expect(take(5, 0)).toBe(take(5, 0));
    expect(take(5, 1)).not.toBe(take(5, 0));
    expect(take(6, 0)).not.toBe(take(5, 0));
  });

  it('gives uniform floats in [0, 1)', () => {
    const rng = new Prng(9);
    let sum = 0;
    let outside = 0;
    for (let i = 0; i < 100_000; i++) {
      const x = rng.nextFloat();
      if (!(x >= 0 && x < 1)) outside++;
      sum += x;
    }
    expect(outside).toBe(0);
    expect(sum / 100_000).toBeCloseTo(0.5, 2);
  });

  it('draws mostly +1, some -1, never 0, negatives and large ones', () => {
    const rng = new Prng(11);
    const seen = new Map<number, number>();
    for (let i = 0; i < 200_000; i++) {
      const d = drawDelta(rng.nextUint32());
      seen.set(d, (seen.get(d) ?? 0) + 1);
    }
    expect(seen.has(0)).toBe(false);
    expect(seen.get(1)! / 200_000).toBeCloseTo(0.859, 2);
    expect(seen.get(-1)! / 200_000).toBeCloseTo(0.078, 2);
    expect([...seen.keys()].some((d) => d <= -2)).toBe(true);
    expect([...seen.keys()].some((d) => d >= 100)).toBe(true);
  });
});
