import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { redactingStream } from '../../../workers/cli/redacting-stream.js';
import { Redactor } from '../../../workers/process/redactor.js';

describe('redactingStream', () => {
  it('redacts strings and buffers, and keeps the stream’s own properties', async () => {
    const target = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
    const stream = redactingStream(target, new Redactor(['hunter2']));
    const out: string[] = [];
    target.on('data', (chunk: Buffer) => out.push(chunk.toString()));
    stream.write('password hunter2\n');
    stream.write(Buffer.from('again hunter2\n'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(out.join('')).toBe('password ***\nagain ***\n');
    expect(stream.isTTY).toBe(true);
    expect(stream.columns).toBe(80);
    expect(stream.once('drain', () => undefined)).toBe(target);
  });
});
