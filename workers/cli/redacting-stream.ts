import type { Redactor } from '../process/redactor.js';

/**
 * `target` with every write passed through `redactor`; everything else (isTTY, columns,
 * 'drain') is the target's own, so commands cannot tell the difference.
 */
export function redactingStream<T extends NodeJS.WritableStream>(target: T, redactor: Redactor): T {
  const write = (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return (target.write as (...args: unknown[]) => boolean)(redactor.redact(text), ...rest);
  };
  return new Proxy(target, {
    get(stream, property) {
      if (property === 'write') return write;
      const value: unknown = Reflect.get(stream, property, stream);
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(stream)
        : value;
    },
  });
}
