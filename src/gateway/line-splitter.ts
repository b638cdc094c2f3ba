import { decodeLines, type DecodedLines } from './statsd-lines.js';

const NEWLINE = 0x0a;

/** What one chunk of a stream completed. */
export interface SplitLines extends DecodedLines {
  /** Lines longer than the limit: dropped whole (their bytes are not kept). */
  readonly tooLong: number;
}

/**
 * Cuts a byte stream (a StatsD TCP connection) into lines, whatever the chunk boundaries: a line
 * (or a UTF-8 character) split across chunks is joined. Memory stays bounded: a line past
 * `maxLineBytes` is dropped as it arrives, up to its newline, and counted.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private discarding = false;

  constructor(private readonly maxLineBytes: number) {}

  /** The complete lines `chunk` ends; the rest waits for the next chunk. */
  push(chunk: Buffer): SplitLines {
    const last = chunk.lastIndexOf(NEWLINE);
    if (last < 0) return { lines: [], invalidUtf8: 0, tooLong: this.keep(chunk) };
    let tooLong = 0;
    let start = 0;
    if (this.discarding) {
      // The dropped line ends at the first newline; the lines after it are whole.
      start = chunk.indexOf(NEWLINE) + 1;
      this.discarding = false;
    }
    const head = Buffer.concat([...this.pending, chunk.subarray(start, last + 1)]);
    this.pending = [];
    this.pendingBytes = 0;
    const decoded = decodeLines(head);
    const lines = decoded.lines.filter((line) => {
      const long = line.length > this.maxLineBytes || Buffer.byteLength(line) > this.maxLineBytes;
      if (long) tooLong++;
      return !long;
    });
    tooLong += this.keep(chunk.subarray(last + 1));
    return { lines, invalidUtf8: decoded.invalidUtf8, tooLong };
  }

  /** The stream ended: its last line, when it had no newline. */
  end(): SplitLines {
    const rest = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    if (this.discarding || rest.length === 0) {
      this.discarding = false;
      return { lines: [], invalidUtf8: 0, tooLong: 0 };
    }
    return { ...decodeLines(rest), tooLong: 0 };
  }

  /** Keeps an unfinished line; returns 1 when it just went past the limit (dropped from now on). */
  private keep(bytes: Buffer): number {
    if (this.discarding || bytes.length === 0) return 0;
    if (this.pendingBytes + bytes.length > this.maxLineBytes) {
      this.pending = [];
      this.pendingBytes = 0;
      this.discarding = true;
      return 1;
    }
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    return 0;
  }
}
