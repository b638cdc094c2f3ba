import { describe, expect, it } from 'vitest';
import { LineSplitter, decodeLines } from '../../src/gateway/index.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('decodeLines', () => {
  it('splits on \\n, drops \\r and blank lines', () => {
    expect(decodeLines(bytes('a:1|c\r\n\nb:2|c\n'))).toEqual({
      lines: ['a:1|c', 'b:2|c'],
      invalidUtf8: 0,
    });
  });

  it('refuses the lines that are not UTF-8, keeps the others', () => {
    const packet = Buffer.concat([bytes('a:1|c\nb'), Buffer.from([0xff]), bytes(':1|c\nc:1|c')]);
    expect(decodeLines(packet)).toEqual({ lines: ['a:1|c', 'c:1|c'], invalidUtf8: 1 });
  });
});

describe('LineSplitter', () => {
  it('joins a line split across chunks, a UTF-8 character too', () => {
    const splitter = new LineSplitter(1024);
    const line = bytes('caf€:1|c\n');
    const cut = line.indexOf(0xe2) + 1; // inside the 3 bytes of €
    expect(splitter.push(line.subarray(0, cut)).lines).toEqual([]);
    expect(splitter.push(Buffer.concat([line.subarray(cut), bytes('x:1')])).lines).toEqual([
      'caf€:1|c',
    ]);
    expect(splitter.push(bytes('|c\n')).lines).toEqual(['x:1|c']);
  });

  it('gives the last line at the end of the stream even without a newline', () => {
    const splitter = new LineSplitter(1024);
    splitter.push(bytes('a:1|c\nb:2|c'));
    expect(splitter.end()).toEqual({ lines: ['b:2|c'], invalidUtf8: 0, tooLong: 0 });
  });

  it('drops a line past the limit without keeping it, and goes on after its newline', () => {
    const splitter = new LineSplitter(16);
    expect(splitter.push(bytes('a:1|c\nxxxxxxxxxx'))).toEqual({
      lines: ['a:1|c'],
      invalidUtf8: 0,
      tooLong: 0,
    });
    expect(splitter.push(bytes('xxxxxxxxxx')).tooLong).toBe(1);
    expect(splitter.push(bytes('x'.repeat(100_000))).tooLong).toBe(0); // still the same line
    expect(splitter.push(bytes('xx\nb:1|c\n'))).toEqual({
      lines: ['b:1|c'],
      invalidUtf8: 0,
      tooLong: 0,
    });
    expect(splitter.push(bytes(`${'y'.repeat(40)}\nc:1|c\n`))).toEqual({
      lines: ['c:1|c'],
      invalidUtf8: 0,
      tooLong: 1,
    });
    expect(splitter.end().lines).toEqual([]);
  });

  it('counts invalid UTF-8 lines split across chunks', () => {
    const splitter = new LineSplitter(1024);
    splitter.push(Buffer.from([0x61, 0x3a, 0xc3]));
    expect(splitter.push(bytes('1|c\nok:1|c\n'))).toEqual({
      lines: ['ok:1|c'],
      invalidUtf8: 1,
      tooLong: 0,
    });
  });
});
