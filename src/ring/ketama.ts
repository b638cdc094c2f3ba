import type { Md5 } from './md5.js';

/** Hashes per node at an equal share in libketama: each md5 gives 4 points, so 160 points. */
export const KETAMA_HASHES_PER_SHARE = 40;

/** Points each md5 of a point name yields: its four 32-bit little-endian words. */
export const POINTS_PER_HASH = 4;

/**
 * libketama keeps a server name in `char addr[22]`: ids longer than this many bytes are cut
 * there, so only ids of at most 21 bytes place identically in libketama itself.
 */
export const KETAMA_MAX_ID_BYTES = 21;

/**
 * How many md5 hashes (4 points each) libketama gives a node: `floor(pct * 40 * n)` with `pct`
 * in 32-bit float, exactly as `ketama.c` computes it:
 * `float pct = (float)w / (float)total; floorf(pct * 40.0 * (float)n)`.
 * The product is exact in double and rounded to float on its way into `floorf`. Computing `pct`
 * in double instead (as the npm `hashring` package does) gives 39 hashes to each of 7 or 14
 * equal nodes where libketama gives 40.
 */
export function ketamaHashCount(weight: number, totalWeight: number, nodeCount: number): number {
  const pct = Math.fround(Math.fround(weight) / Math.fround(totalWeight));
  return Math.floor(Math.fround(pct * 40.0 * nodeCount));
}

/**
 * Writes the first `count` points of node `id` into `out` from `offset`: hash k is md5 of
 * `"<id>-<k>"` (k decimal, from 0) and yields its four little-endian words in order, as libketama.
 * Returns the offset after the last point written.
 */
export function writeNodePoints(
  md5: Md5,
  id: string,
  count: number,
  out: Uint32Array,
  offset: number,
): number {
  let at = offset;
  const end = offset + count;
  for (let k = 0; at < end; k++) {
    md5.digest(`${id}-${k}`);
    for (let word = 0; word < POINTS_PER_HASH && at < end; word++) out[at++] = md5.words[word]!;
  }
  return at;
}
