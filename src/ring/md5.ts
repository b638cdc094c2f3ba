/**
 * MD5 of a string's UTF-8 bytes, computed in JavaScript into a reused buffer.
 *
 * Why not `node:crypto`: a ring lookup hashes one short name, and crossing into C++ costs more
 * than the hash itself. Measured on Node 20 for ~25-byte names (`test/bench/ring-bench.ts`,
 * see docs/ring.md): `createHash('md5')` 0.3-0.7 M/s, `crypto.hash('md5', s, 'buffer')`
 * 0.7-1.3 M/s, `crypto.hash(..., 'hex')` ~3.2 M/s, this class ~4.9 M/s and allocation-free.
 * Correctness is checked against `node:crypto` in `test/ring/md5.test.ts`.
 *
 * The round code follows RFC 1321 unrolled; its constants are `floor(abs(sin(i + 1)) * 2^32)`.
 */
export class Md5 {
  /** The digest of the last {@link Md5.digest} call as four little-endian words (bytes 0-3, 4-7, ...). */
  readonly words = new Uint32Array(4);
  private bytes = new Uint8Array(256);
  private view = new DataView(this.bytes.buffer);
  private readonly encoder = new TextEncoder();

  /**
   * Hashes the UTF-8 bytes of `text` (lone surrogates become U+FFFD, as `Buffer.from` does);
   * fills {@link Md5.words} and returns the first word: bytes 3..0 of the digest as an unsigned
   * 32-bit integer, which is what ketama calls the hash of a key.
   */
  digest(text: string): number {
    const length = this.encode(text);
    const padded = (((length + 8) >>> 6) + 1) * 64;
    const bytes = this.bytes;
    const view = this.view;
    bytes[length] = 0x80;
    bytes.fill(0, length + 1, padded - 8);
    view.setUint32(padded - 8, (length * 8) >>> 0, true);
    view.setUint32(padded - 4, Math.floor(length / 0x20000000), true);

    let a0 = 0x67452301;
    let b0 = 0xefcdab89 | 0;
    let c0 = 0x98badcfe | 0;
    let d0 = 0x10325476;
    for (let block = 0; block < padded; block += 64) {
      const m0 = view.getInt32(block + 0, true);
      const m1 = view.getInt32(block + 4, true);
      const m2 = view.getInt32(block + 8, true);
      const m3 = view.getInt32(block + 12, true);
      const m4 = view.getInt32(block + 16, true);
      const m5 = view.getInt32(block + 20, true);
      const m6 = view.getInt32(block + 24, true);
      const m7 = view.getInt32(block + 28, true);
      const m8 = view.getInt32(block + 32, true);
      const m9 = view.getInt32(block + 36, true);
      const m10 = view.getInt32(block + 40, true);
      const m11 = view.getInt32(block + 44, true);
      const m12 = view.getInt32(block + 48, true);
      const m13 = view.getInt32(block + 52, true);
      const m14 = view.getInt32(block + 56, true);
      const m15 = view.getInt32(block + 60, true);
      let a = a0;
      let b = b0;
      let c = c0;
      let d = d0;
      let t: number;
      // Round 1
      t = (a + ((b & c) | (~b & d)) + m0 + 0xd76aa478) | 0;
      a = (((t << 7) | (t >>> 25)) + b) | 0;
      t = (d + ((a & b) | (~a & c)) + m1 + 0xe8c7b756) | 0;
      d = (((t << 12) | (t >>> 20)) + a) | 0;
      t = (c + ((d & a) | (~d & b)) + m2 + 0x242070db) | 0;
      c = (((t << 17) | (t >>> 15)) + d) | 0;
      t = (b + ((c & d) | (~c & a)) + m3 + 0xc1bdceee) | 0;
      b = (((t << 22) | (t >>> 10)) + c) | 0;
      t = (a + ((b & c) | (~b & d)) + m4 + 0xf57c0faf) | 0;
      a = (((t << 7) | (t >>> 25)) + b) | 0;
      t = (d + ((a & b) | (~a & c)) + m5 + 0x4787c62a) | 0;
      d = (((t << 12) | (t >>> 20)) + a) | 0;
      t = (c + ((d & a) | (~d & b)) + m6 + 0xa8304613) | 0;
      c = (((t << 17) | (t >>> 15)) + d) | 0;
      t = (b + ((c & d) | (~c & a)) + m7 + 0xfd469501) | 0;
      b = (((t << 22) | (t >>> 10)) + c) | 0;
      t = (a + ((b & c) | (~b & d)) + m8 + 0x698098d8) | 0;
      a = (((t << 7) | (t >>> 25)) + b) | 0;
      t = (d + ((a & b) | (~a & c)) + m9 + 0x8b44f7af) | 0;
      d = (((t << 12) | (t >>> 20)) + a) | 0;
      t = (c + ((d & a) | (~d & b)) + m10 + 0xffff5bb1) | 0;
      c = (((t << 17) | (t >>> 15)) + d) | 0;
      t = (b + ((c & d) | (~c & a)) + m11 + 0x895cd7be) | 0;
      b = (((t << 22) | (t >>> 10)) + c) | 0;
      t = (a + ((b & c) | (~b & d)) + m12 + 0x6b901122) | 0;
      a = (((t << 7) | (t >>> 25)) + b) | 0;
      t = (d + ((a & b) | (~a & c)) + m13 + 0xfd987193) | 0;
      d = (((t << 12) | (t >>> 20)) + a) | 0;
      t = (c + ((d & a) | (~d & b)) + m14 + 0xa679438e) | 0;
      c = (((t << 17) | (t >>> 15)) + d) | 0;
      t = (b + ((c & d) | (~c & a)) + m15 + 0x49b40821) | 0;
      b = (((t << 22) | (t >>> 10)) + c) | 0;
      // Round 2
      t = (a + ((b & d) | (c & ~d)) + m1 + 0xf61e2562) | 0;
      a = (((t << 5) | (t >>> 27)) + b) | 0;
      t = (d + ((a & c) | (b & ~c)) + m6 + 0xc040b340) | 0;
      d = (((t << 9) | (t >>> 23)) + a) | 0;
      t = (c + ((d & b) | (a & ~b)) + m11 + 0x265e5a51) | 0;
      c = (((t << 14) | (t >>> 18)) + d) | 0;
      t = (b + ((c & a) | (d & ~a)) + m0 + 0xe9b6c7aa) | 0;
      b = (((t << 20) | (t >>> 12)) + c) | 0;
      t = (a + ((b & d) | (c & ~d)) + m5 + 0xd62f105d) | 0;
      a = (((t << 5) | (t >>> 27)) + b) | 0;
      t = (d + ((a & c) | (b & ~c)) + m10 + 0x02441453) | 0;
      d = (((t << 9) | (t >>> 23)) + a) | 0;
      t = (c + ((d & b) | (a & ~b)) + m15 + 0xd8a1e681) | 0;
      c = (((t << 14) | (t >>> 18)) + d) | 0;
      t = (b + ((c & a) | (d & ~a)) + m4 + 0xe7d3fbc8) | 0;
      b = (((t << 20) | (t >>> 12)) + c) | 0;
      t = (a + ((b & d) | (c & ~d)) + m9 + 0x21e1cde6) | 0;
      a = (((t << 5) | (t >>> 27)) + b) | 0;
      t = (d + ((a & c) | (b & ~c)) + m14 + 0xc33707d6) | 0;
      d = (((t << 9) | (t >>> 23)) + a) | 0;
      t = (c + ((d & b) | (a & ~b)) + m3 + 0xf4d50d87) | 0;
      c = (((t << 14) | (t >>> 18)) + d) | 0;
      t = (b + ((c & a) | (d & ~a)) + m8 + 0x455a14ed) | 0;
      b = (((t << 20) | (t >>> 12)) + c) | 0;
      t = (a + ((b & d) | (c & ~d)) + m13 + 0xa9e3e905) | 0;
      a = (((t << 5) | (t >>> 27)) + b) | 0;
      t = (d + ((a & c) | (b & ~c)) + m2 + 0xfcefa3f8) | 0;
      d = (((t << 9) | (t >>> 23)) + a) | 0;
      t = (c + ((d & b) | (a & ~b)) + m7 + 0x676f02d9) | 0;
      c = (((t << 14) | (t >>> 18)) + d) | 0;
      t = (b + ((c & a) | (d & ~a)) + m12 + 0x8d2a4c8a) | 0;
      b = (((t << 20) | (t >>> 12)) + c) | 0;
      // Round 3
      t = (a + (b ^ c ^ d) + m5 + 0xfffa3942) | 0;
      a = (((t << 4) | (t >>> 28)) + b) | 0;
      t = (d + (a ^ b ^ c) + m8 + 0x8771f681) | 0;
      d = (((t << 11) | (t >>> 21)) + a) | 0;
      t = (c + (d ^ a ^ b) + m11 + 0x6d9d6122) | 0;
      c = (((t << 16) | (t >>> 16)) + d) | 0;
      t = (b + (c ^ d ^ a) + m14 + 0xfde5380c) | 0;
      b = (((t << 23) | (t >>> 9)) + c) | 0;
      t = (a + (b ^ c ^ d) + m1 + 0xa4beea44) | 0;
      a = (((t << 4) | (t >>> 28)) + b) | 0;
      t = (d + (a ^ b ^ c) + m4 + 0x4bdecfa9) | 0;
      d = (((t << 11) | (t >>> 21)) + a) | 0;
      t = (c + (d ^ a ^ b) + m7 + 0xf6bb4b60) | 0;
      c = (((t << 16) | (t >>> 16)) + d) | 0;
      t = (b + (c ^ d ^ a) + m10 + 0xbebfbc70) | 0;
      b = (((t << 23) | (t >>> 9)) + c) | 0;
      t = (a + (b ^ c ^ d) + m13 + 0x289b7ec6) | 0;
      a = (((t << 4) | (t >>> 28)) + b) | 0;
      t = (d + (a ^ b ^ c) + m0 + 0xeaa127fa) | 0;
      d = (((t << 11) | (t >>> 21)) + a) | 0;
      t = (c + (d ^ a ^ b) + m3 + 0xd4ef3085) | 0;
      c = (((t << 16) | (t >>> 16)) + d) | 0;
      t = (b + (c ^ d ^ a) + m6 + 0x04881d05) | 0;
      b = (((t << 23) | (t >>> 9)) + c) | 0;
      t = (a + (b ^ c ^ d) + m9 + 0xd9d4d039) | 0;
      a = (((t << 4) | (t >>> 28)) + b) | 0;
      t = (d + (a ^ b ^ c) + m12 + 0xe6db99e5) | 0;
      d = (((t << 11) | (t >>> 21)) + a) | 0;
      t = (c + (d ^ a ^ b) + m15 + 0x1fa27cf8) | 0;
      c = (((t << 16) | (t >>> 16)) + d) | 0;
      t = (b + (c ^ d ^ a) + m2 + 0xc4ac5665) | 0;
      b = (((t << 23) | (t >>> 9)) + c) | 0;
      // Round 4
      t = (a + (c ^ (b | ~d)) + m0 + 0xf4292244) | 0;
      a = (((t << 6) | (t >>> 26)) + b) | 0;
      t = (d + (b ^ (a | ~c)) + m7 + 0x432aff97) | 0;
      d = (((t << 10) | (t >>> 22)) + a) | 0;
      t = (c + (a ^ (d | ~b)) + m14 + 0xab9423a7) | 0;
      c = (((t << 15) | (t >>> 17)) + d) | 0;
      t = (b + (d ^ (c | ~a)) + m5 + 0xfc93a039) | 0;
      b = (((t << 21) | (t >>> 11)) + c) | 0;
      t = (a + (c ^ (b | ~d)) + m12 + 0x655b59c3) | 0;
      a = (((t << 6) | (t >>> 26)) + b) | 0;
      t = (d + (b ^ (a | ~c)) + m3 + 0x8f0ccc92) | 0;
      d = (((t << 10) | (t >>> 22)) + a) | 0;
      t = (c + (a ^ (d | ~b)) + m10 + 0xffeff47d) | 0;
      c = (((t << 15) | (t >>> 17)) + d) | 0;
      t = (b + (d ^ (c | ~a)) + m1 + 0x85845dd1) | 0;
      b = (((t << 21) | (t >>> 11)) + c) | 0;
      t = (a + (c ^ (b | ~d)) + m8 + 0x6fa87e4f) | 0;
      a = (((t << 6) | (t >>> 26)) + b) | 0;
      t = (d + (b ^ (a | ~c)) + m15 + 0xfe2ce6e0) | 0;
      d = (((t << 10) | (t >>> 22)) + a) | 0;
      t = (c + (a ^ (d | ~b)) + m6 + 0xa3014314) | 0;
      c = (((t << 15) | (t >>> 17)) + d) | 0;
      t = (b + (d ^ (c | ~a)) + m13 + 0x4e0811a1) | 0;
      b = (((t << 21) | (t >>> 11)) + c) | 0;
      t = (a + (c ^ (b | ~d)) + m4 + 0xf7537e82) | 0;
      a = (((t << 6) | (t >>> 26)) + b) | 0;
      t = (d + (b ^ (a | ~c)) + m11 + 0xbd3af235) | 0;
      d = (((t << 10) | (t >>> 22)) + a) | 0;
      t = (c + (a ^ (d | ~b)) + m2 + 0x2ad7d2bb) | 0;
      c = (((t << 15) | (t >>> 17)) + d) | 0;
      t = (b + (d ^ (c | ~a)) + m9 + 0xeb86d391) | 0;
      b = (((t << 21) | (t >>> 11)) + c) | 0;
      a0 = (a0 + a) | 0;
      b0 = (b0 + b) | 0;
      c0 = (c0 + c) | 0;
      d0 = (d0 + d) | 0;
    }
    const words = this.words;
    words[0] = a0;
    words[1] = b0;
    words[2] = c0;
    words[3] = d0;
    return a0 >>> 0;
  }

  /** Writes the UTF-8 bytes of `text` at the start of the buffer, growing it; returns their count. */
  private encode(text: string): number {
    const units = text.length;
    // 3 bytes per UTF-16 unit at most, plus room for the padding block.
    const needed = units * 3 + 72;
    if (this.bytes.length < needed) {
      this.bytes = new Uint8Array(Math.max(needed, this.bytes.length * 2));
      this.view = new DataView(this.bytes.buffer);
    }
    const bytes = this.bytes;
    // Counter names are nearly always ASCII: copying code units beats TextEncoder by ~2x here.
    for (let i = 0; i < units; i++) {
      const unit = text.charCodeAt(i);
      if (unit > 0x7f) return this.encoder.encodeInto(text, bytes).written;
      bytes[i] = unit;
    }
    return units;
  }
}
