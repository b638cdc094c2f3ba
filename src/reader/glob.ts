/**
 * Redis glob patterns, matched the way Redis matches them (`stringmatchlen` in util.c), so a
 * `watch` filters live updates exactly as `list` (HSCAN ... MATCH) filters stored counters.
 *
 * - `*` any run of bytes, `?` one byte, `[abc]` `[^abc]` `[a-z]` one byte of a set,
 *   `\x` the byte `x` literally (also inside brackets).
 * - Matching is on UTF-8 **bytes**, as in Redis: `?` does not match `é` (2 bytes), `??` does.
 * - An unclosed `[` takes the rest of the pattern as its set; a reversed range `[z-a]` is
 *   `[a-z]`; in `[a-]` the `]` is the end of the range a-`]` (Redis quirks, kept on purpose).
 * - Range bounds compare C `char`s, which are signed on x86-64: a range with a byte >= 0x80 at
 *   one end behaves as on an x86-64 Redis server (an ARM server compares unsigned bytes).
 */
export type GlobMatcher = (text: string) => boolean;

const STAR = 0x2a; // *
const QUESTION = 0x3f; // ?
const OPEN = 0x5b; // [
const CLOSE = 0x5d; // ]
const BACKSLASH = 0x5c; // \
const CARET = 0x5e; // ^
const DASH = 0x2d; // -

/** Compiles `pattern` once; the matcher can be called for many names. */
export function compileGlob(pattern: string): GlobMatcher {
  if (pattern === '*') return () => true;
  const bytes = Buffer.from(pattern, 'utf8');
  // A pattern without special bytes is an equality test: the common "one counter" watch.
  if (!bytes.some((b) => b === STAR || b === QUESTION || b === OPEN || b === BACKSLASH)) {
    return (text) => text === pattern;
  }
  return (text) => matchBytes(bytes, Buffer.from(text, 'utf8'));
}

/** One-off match of `text` against a Redis glob `pattern`. */
export function matchGlob(pattern: string, text: string): boolean {
  return compileGlob(pattern)(text);
}

/** A byte as a C `char` on x86-64 (signed), for range comparisons only. */
function signed(byte: number): number {
  return byte >= 0x80 ? byte - 0x100 : byte;
}

function matchBytes(pattern: Uint8Array, text: Uint8Array): boolean {
  // Redis gives up on longer matches of earlier stars once a later star found no match
  // anywhere (CVE-2022-36021): this keeps `a*a*a*...b` linear instead of exponential.
  const state = { skipLonger: false };
  return matchFrom(pattern, 0, text, 0, state);
}

function matchFrom(
  pattern: Uint8Array,
  pStart: number,
  text: Uint8Array,
  tStart: number,
  state: { skipLonger: boolean },
): boolean {
  let p = pStart;
  let t = tStart;
  const pEnd = pattern.length;
  const tEnd = text.length;
  while (p < pEnd && t < tEnd) {
    const c = pattern[p]!;
    if (c === STAR) {
      while (p + 1 < pEnd && pattern[p + 1] === STAR) p++;
      if (p + 1 === pEnd) return true;
      while (t < tEnd) {
        if (matchFrom(pattern, p + 1, text, t, state)) return true;
        if (state.skipLonger) return false;
        t++;
      }
      state.skipLonger = true;
      return false;
    } else if (c === QUESTION) {
      t++;
    } else if (c === OPEN) {
      p++;
      const negate = pattern[p] === CARET;
      if (negate) p++;
      const byte = text[t]!;
      let match = false;
      for (;;) {
        const pc = pattern[p];
        if (pc === BACKSLASH && pEnd - p >= 2) {
          p++;
          if (pattern[p] === byte) match = true;
        } else if (pc === CLOSE) {
          break;
        } else if (p === pEnd) {
          // Unclosed set: step back so the advance below lands on the end of the pattern.
          p--;
          break;
        } else if (pEnd - p >= 3 && pattern[p + 1] === DASH) {
          let start = signed(pc!);
          let end = signed(pattern[p + 2]!);
          if (start > end) [start, end] = [end, start];
          const value = signed(byte);
          p += 2;
          if (value >= start && value <= end) match = true;
        } else if (pc === byte) {
          match = true;
        }
        p++;
      }
      if (negate) match = !match;
      if (!match) return false;
      t++;
    } else {
      if (c === BACKSLASH && pEnd - p >= 2) p++;
      if (pattern[p] !== text[t]) return false;
      t++;
    }
    p++;
    if (t === tEnd) {
      while (p < pEnd && pattern[p] === STAR) p++;
      break;
    }
  }
  return p === pEnd && t === tEnd;
}
