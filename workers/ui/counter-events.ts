import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CounterReader } from '../../src/reader/index.js';
import { CLI_CONNECT_TIMEOUT_MS } from '../cli/commands/reader-from-config.js';

// Proxies and browsers drop an idle stream after a minute or so; a comment line keeps it open.
const HEARTBEAT_MS = 15_000;
// How long the page waits before reconnecting a dropped stream (EventSource `retry`).
const RETRY_MS = 2000;
// Waiting longer for a node to subscribe than `countd watch` does would only delay the page.
const READY_WAIT_MS = CLI_CONNECT_TIMEOUT_MS;
/**
 * A client that reads slower than counters change holds at most this many distinct counters
 * pending: each keeps only its newest value, so memory follows what the glob matches, not time.
 */
const MAX_PENDING_COUNTERS = 50_000;

/**
 * One page's live values: `GET /api/watch?glob=` as Server-Sent Events. `event: ready` once every
 * node's updates channel is subscribed (the page lists the counters then, so none is missed
 * between the list and the first update); `event: update` with `[[name, "value"], …]` (values as
 * decimal strings: int64 is exact) for each batch of changes; `event: lost` naming a node whose
 * updates are not arriving. Ends when the client goes away or `closing` aborts.
 */
export function streamCounterEvents(
  reader: CounterReader<'bigint'>,
  glob: string,
  req: IncomingMessage,
  res: ServerResponse,
  closing: AbortSignal,
): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    // nginx and similar proxies buffer responses unless told not to.
    'x-accel-buffering': 'no',
  });
  res.write(`retry: ${RETRY_MS}\n\n`);
  const pending = new Map<string, bigint>();
  let scheduled = false;
  const send = (event: string, data: unknown) => {
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  // Updates of one tick go out as one event; while the socket is full they wait for 'drain'.
  const flush = () => {
    scheduled = false;
    if (res.writableNeedDrain || pending.size === 0) return;
    send(
      'update',
      [...pending].map(([name, value]) => [name, value.toString()]),
    );
    pending.clear();
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };
  res.on('drain', schedule);
  const watch = reader.watch(glob, (updates) => {
    for (const [name, value] of updates) {
      // Deleting first moves the name to the end: the newest changes go out last, as they came.
      pending.delete(name);
      if (pending.size < MAX_PENDING_COUNTERS) pending.set(name, value);
    }
    schedule();
  });
  watch.on('error', () => undefined);
  watch.on('disconnected', (node) => send('lost', { node }));
  watch.on('subscribed', (node) => send('subscribed', { node }));
  // A node that is down must not keep the page from listing the others: after a bound the page
  // is told which nodes are not subscribed yet (they are retried, and 'subscribed' follows).
  let readyTimer: NodeJS.Timeout | undefined;
  void Promise.race([
    watch.ready().catch(() => undefined),
    new Promise<void>((resolve) => (readyTimer = setTimeout(resolve, READY_WAIT_MS))),
  ]).then(() => {
    clearTimeout(readyTimer);
    if (res.writableEnded) return;
    send('ready', {
      nodes: reader.watchedNodes(),
      down: reader.unwatchedNodes().map((d) => d.node),
    });
  });
  const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
  const end = () => {
    clearInterval(heartbeat);
    clearTimeout(readyTimer);
    closing.removeEventListener('abort', end);
    void watch.close();
    if (!res.writableEnded) res.end();
  };
  req.once('close', end);
  closing.addEventListener('abort', end, { once: true });
}
