import { UsageError } from './usage-error.js';

const NEWLINE = 0x0a;

/**
 * Reads `input` to its end as UTF-8 lines (without `\n` or a trailing `\r`). Bytes are
 * decoded as a stream, so a character cut between two chunks arrives whole; bytes that are
 * not UTF-8 are a {@link UsageError} naming the line, never a silent U+FFFD.
 */
export async function readUtf8Lines(
  input: NodeJS.ReadableStream,
  command: string,
): Promise<string[]> {
  // A newline byte never occurs inside a multibyte UTF-8 sequence: lines can be cut on bytes,
  // and a sequence still open at a newline is invalid. Only stdin's first BOM is a signature.
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const lines: string[] = [];
  let line = '';
  const decode = (bytes: Uint8Array, stream: boolean) => {
    try {
      line += decoder.decode(bytes, { stream });
    } catch {
      throw new UsageError(`countd ${command}: stdin line ${lines.length + 1} is not valid UTF-8`);
    }
  };
  const endLine = () => {
    decode(new Uint8Array(0), false);
    lines.push(lines.length === 0 && line.startsWith('\uFEFF') ? line.slice(1) : line);
    line = '';
  };
  let pendingBytes = false;
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer);
    let start = 0;
    for (let nl = bytes.indexOf(NEWLINE); nl !== -1; nl = bytes.indexOf(NEWLINE, start)) {
      decode(bytes.subarray(start, nl), true);
      endLine();
      pendingBytes = false;
      start = nl + 1;
    }
    if (start < bytes.length) {
      decode(bytes.subarray(start), true);
      pendingBytes = true;
    }
  }
  if (pendingBytes) endLine();
  return lines.map((text) => (text.endsWith('\r') ? text.slice(0, -1) : text));
}
