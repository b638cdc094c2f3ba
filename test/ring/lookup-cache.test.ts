import { describe, expect, it } from 'vitest';
import { LookupCache } from '../../src/ring/lookup-cache.js';

describe('LookupCache', () => {
  it('returns what was set', () => {
    const cache = new LookupCache<string>(10);
    cache.set('k', 'v');
    expect(cache.get('k')).toBe('v');
    expect(cache.get('missing')).toBeUndefined();
  });

  it('never holds more than its capacity', () => {
    const cache = new LookupCache<number>(100);
    for (let i = 0; i < 10_000; i++) cache.set(`k${i}`, i);
    expect(cache.size).toBeLessThanOrEqual(100);
    expect(cache.get('k9999')).toBe(9999);
    expect(cache.get('k0')).toBeUndefined();
  });

  it('keeps a name looked up in every generation across rotations', () => {
    const cache = new LookupCache<number>(100);
    cache.set('hot', 1);
    for (let i = 0; i < 10_000; i++) {
      cache.set(`cold${i}`, i);
      if (i % 25 === 0) expect(cache.get('hot')).toBe(1);
    }
    expect(cache.get('hot')).toBe(1);
  });

  it('holds nothing with capacity 0', () => {
    const cache = new LookupCache<string>(0);
    cache.set('k', 'v');
    expect(cache.get('k')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('forgets everything on clear', () => {
    const cache = new LookupCache<string>(10);
    cache.set('k', 'v');
    cache.clear();
    expect(cache.get('k')).toBeUndefined();
  });
});
