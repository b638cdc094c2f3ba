import { connect } from 'node:net';

/** What one probe of a Redis port found. */
export type RedisProbeResult =
  /** It answered `INFO server`; `pid` is the `process_id` it reported. */
  | { readonly state: 'ready'; readonly pid: number }
  /** It is up but still loading its AOF/RDB (`-LOADING`). */
  | { readonly state: 'loading' }
  /** It answered but requires AUTH, so its pid could not be read. */
  | { readonly state: 'auth-required' }
  /** Nothing accepted the connection, or it closed/timed out before answering. */
  | { readonly state: 'unreachable'; readonly reason: string }
  /** It answered with another error. */
  | { readonly state: 'error'; readonly message: string };

/**
 * Asks `host:port` for `INFO server` over a raw socket, once.
 *
 * A raw RESP exchange rather than an ioredis client: a probe must not retry, queue or
 * reconnect on its own, and the `process_id` it reads tells the launcher whether the
 * server answering is the child it spawned or some other Redis already on that port.
 */
export function probeRedis(
  host: string,
  port: number,
  timeoutMs = 1000,
): Promise<RedisProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let buffer = Buffer.alloc(0);
    let settled = false;
    const finish = (result: RedisProbeResult): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => finish({ state: 'unreachable', reason: 'timed out' }));
    socket.on('error', (err) => finish({ state: 'unreachable', reason: err.message }));
    socket.on('close', () => finish({ state: 'unreachable', reason: 'connection closed' }));
    socket.on('connect', () => socket.write('INFO server\r\n'));
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const result = parseInfoReply(buffer);
      if (result !== undefined) finish(result);
    });
  });
}

/** Whether something accepts TCP connections on `host:port`; nothing is sent to it. */
export function acceptsConnections(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const finish = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/** One line for an error message, e.g. `connect ECONNREFUSED 127.0.0.1:7001`. */
export function describeProbe(result: RedisProbeResult): string {
  switch (result.state) {
    case 'ready':
      return `ready (pid ${result.pid})`;
    case 'unreachable':
      return result.reason;
    case 'error':
      return result.message;
    default:
      return result.state;
  }
}

/** Parses a complete reply to `INFO server`, or returns undefined while it is incomplete. */
function parseInfoReply(buffer: Buffer): RedisProbeResult | undefined {
  const lineEnd = buffer.indexOf('\r\n');
  if (lineEnd < 0) return undefined;
  const head = buffer.subarray(0, lineEnd).toString('utf8');
  if (head.startsWith('-')) {
    const message = head.slice(1);
    if (message.startsWith('LOADING')) return { state: 'loading' };
    if (message.startsWith('NOAUTH')) return { state: 'auth-required' };
    return { state: 'error', message };
  }
  if (!head.startsWith('$')) return { state: 'error', message: `unexpected reply ${head}` };
  const length = Number(head.slice(1));
  const bodyStart = lineEnd + 2;
  if (buffer.length < bodyStart + length) return undefined;
  const body = buffer.subarray(bodyStart, bodyStart + length).toString('utf8');
  const match = /^process_id:(\d+)\r?$/m.exec(body);
  if (match?.[1] === undefined) return { state: 'error', message: 'INFO has no process_id' };
  return { state: 'ready', pid: Number(match[1]) };
}
