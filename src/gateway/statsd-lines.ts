const NEWLINE = 0x0a;
const strict = new TextDecoder('utf-8', { fatal: true });

/** The lines of a StatsD packet or of a run of complete TCP lines, decoded. */
export interface DecodedLines {
  /** Lines in order, without their `\n` (and `\r`); empty lines left out. */
  readonly lines: string[];
  /** Lines that were not valid UTF-8 (never decoded with replacement characters). */
  readonly invalidUtf8: number;
}

/**
 * Splits `bytes` on `\n` and decodes each line as UTF-8, refusing invalid bytes: a replacement
 * character would make another counter of a name. The whole run is decoded at once when it is
 * valid (the common case), line by line only to find the invalid ones.
 */
export function decodeLines(bytes: Uint8Array): DecodedLines {
  try {
    return { lines: splitText(strict.decode(bytes)), invalidUtf8: 0 };
  } catch {
    const lines: string[] = [];
    let invalidUtf8 = 0;
    let start = 0;
    while (start <= bytes.length) {
      let end = bytes.indexOf(NEWLINE, start);
      if (end < 0) end = bytes.length;
      try {
        lines.push(...splitText(strict.decode(bytes.subarray(start, end))));
      } catch {
        invalidUtf8++;
      }
      start = end + 1;
    }
    return { lines, invalidUtf8 };
  }
}

function splitText(text: string): string[] {
  const lines: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line !== '') lines.push(line);
  }
  return lines;
}
