import type { IncomingMessage } from 'node:http';

/** A body read whole, or why it was not. */
export type BodyRead =
  | { readonly ok: true; readonly body: Buffer }
  | { readonly ok: false; readonly status: 413 | 400; readonly error: string };

/**
 * Reads a request body up to `maxBytes`. A `Content-Length` past it is refused before a byte is
 * read; a chunked body is refused as soon as it goes past: nothing beyond the limit is buffered
 * (the caller answers 413 and closes the connection, so the rest is never read).
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyRead> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes)
    return Promise.resolve(tooLarge(maxBytes));
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (result: BodyRead) => {
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      req.removeListener('error', onError);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.pause();
        done(tooLarge(maxBytes));
      } else chunks.push(chunk);
    };
    const onEnd = () => done({ ok: true, body: Buffer.concat(chunks, size) });
    const onError = () => done({ ok: false, status: 400, error: 'request body could not be read' });
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

function tooLarge(maxBytes: number): BodyRead {
  return {
    ok: false,
    status: 413,
    error: `body larger than ${maxBytes} bytes (COUNTD_GATEWAY_MAX_BODY_BYTES); split it`,
  };
}
