import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Md5 } from '../../src/ring/md5.js';

function expectedWords(text: string): number[] {
  const digest = createHash('md5').update(text, 'utf8').digest();
  return [0, 4, 8, 12].map((offset) => digest.readUInt32LE(offset));
}

describe('Md5', () => {
  it('matches the RFC 1321 test suite', () => {
    const md5 = new Md5();
    const hex = (text: string): string => {
      md5.digest(text);
      return Buffer.from(md5.words.buffer, md5.words.byteOffset, 16).toString('hex');
    };
    expect(hex('')).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(hex('a')).toBe('0cc175b9c0f1b6a831c399e269772661');
    expect(hex('abc')).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(hex('message digest')).toBe('f96b697d7cb7938d525a2f31aaf161d0');
    expect(hex('1234567890'.repeat(8))).toBe('57edf4a22be3c955ac49da2e2107b67a');
  });

  it('agrees with node:crypto on every length across block boundaries', () => {
    const md5 = new Md5();
    for (let length = 0; length <= 300; length++) {
      const text = 'k'.repeat(length);
      const first = md5.digest(text);
      expect([...md5.words], `length ${length}`).toEqual(expectedWords(text));
      expect(first).toBe(expectedWords(text)[0]);
    }
  });

  it('hashes UTF-8 bytes of non-ASCII names, including lone surrogates', () => {
    const md5 = new Md5();
    const names = [
      'café',
      'ключ',
      '计数器:访问',
      'emoji:😀🎉',
      'mixed-é-'.repeat(40),
      'lone:\ud800',
    ];
    for (const name of names) {
      md5.digest(name);
      expect([...md5.words], name).toEqual(expectedWords(name));
    }
  });

  it('keeps agreeing after the buffer grew for a long name', () => {
    const md5 = new Md5();
    md5.digest('x'.repeat(10_000));
    expect([...md5.words]).toEqual(expectedWords('x'.repeat(10_000)));
    expect(md5.digest('short')).toBe(expectedWords('short')[0]);
  });
});
