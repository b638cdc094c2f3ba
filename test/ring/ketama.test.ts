import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ketamaHashCount, writeNodePoints } from '../../src/ring/ketama.js';
import { Md5 } from '../../src/ring/md5.js';

describe('ketamaHashCount (libketama float rule)', () => {
  it('gives 40 hashes to each of 7 or 14 equal nodes, where double arithmetic gives 39', () => {
    for (const n of [7, 14]) {
      expect(ketamaHashCount(1, n, n)).toBe(40);
      // What the npm hashring package computes: pct in double.
      expect(Math.floor((1 / n) * 40 * n)).toBe(39);
    }
  });

  it('gives 39 hashes to each of 61 equal nodes, as libketama does', () => {
    // fround(1/61) * 2440 = 39.9999977..., which rounds to float 39.9999962 before floorf.
    expect(ketamaHashCount(1, 61, 61)).toBe(39);
  });

  it('scales hashes with weight shares', () => {
    expect(ketamaHashCount(1, 1, 1)).toBe(40);
    expect([1, 2].map((w) => ketamaHashCount(w, 3, 2))).toEqual([26, 53]);
    expect([1, 2, 3].map((w) => ketamaHashCount(w, 6, 3))).toEqual([20, 40, 60]);
    expect([5, 3, 2].map((w) => ketamaHashCount(w, 10, 3))).toEqual([60, 36, 24]);
  });
});

describe('writeNodePoints', () => {
  it('takes the four little-endian words of md5("<id>-<k>") in order', () => {
    // md5("a-0") = a165efd1 96e17ba1 95ad4dc5 0028b39a
    const out = new Uint32Array(6);
    const end = writeNodePoints(new Md5(), 'a', 6, out, 0);
    expect(end).toBe(6);
    expect([...out.subarray(0, 4)]).toEqual([0xd1ef65a1, 0xa17be196, 0xc54dad95, 0x9ab32800]);
    const second = createHash('md5').update('a-1').digest();
    expect([...out.subarray(4)]).toEqual([second.readUInt32LE(0), second.readUInt32LE(4)]);
  });
});
