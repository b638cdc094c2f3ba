import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CounterReader } from '../../src/reader/index.js';
import { GRANULARITIES, type Granularity } from '../../src/rollups/index.js';
import { StaticPage } from './static-page.js';
import { uiRoutes, type SeriesSource } from './ui-routes.js';

// The page is for people: a handful of tabs. Each live stream holds a socket and a watch.
const MAX_STREAMS = 64;
// Slow clients are cut as in the gateway; a live stream is exempt (it has no end by design).
const HEADERS_TIMEOUT_MS = 10_000;

export interface UiServerOptions {
  /** Read by the server, closed by its owner after the server. */
  readonly reader: CounterReader<'bigint'>;
  readonly series: SeriesSource;
  /** The steps the page offers (the rollups kept). @defaultValue minute, hour, day */
  readonly steps?: readonly Granularity[];
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** A request that failed on the server's side; the message a client sees is already redacted. */
  readonly onError?: (err: unknown, path: string) => void;
  /** Replaces secrets in what a client is about to see. @defaultValue identity */
  readonly redact?: (text: string) => string;
  /** @defaultValue Date.now */
  readonly now?: () => number;
}

/** A running web page server. */
export interface UiServer {
  /** `http://host:port`, what a browser opens. */
  readonly url: string;
  /** Ends the live streams, stops accepting, and resolves when the last connection closed. Idempotent. */
  close(): Promise<void>;
}

/** Serves the page and its API on `host:port`; rejects if the address cannot be bound. */
export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const closing = new AbortController();
  const redact = options.redact ?? ((text: string) => text);
  const server: Server = createServer(
    { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: 0, keepAliveTimeout: 5000 },
    uiRoutes({
      reader: options.reader,
      series: options.series,
      steps: options.steps ?? GRANULARITIES,
      page: StaticPage.beside(),
      closing: closing.signal,
      hosts: loopbackHosts(options.host),
      maxStreams: MAX_STREAMS,
      now: options.now ?? Date.now,
      onError: options.onError ?? (() => undefined),
      redact,
    }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${shown}:${address.port}`,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => resolve());
        server.closeIdleConnections();
      })),
  };
}

/**
 * Bound to loopback, the page answers only to loopback names: a web site the user visits could
 * otherwise point its own host name at 127.0.0.1 (DNS rebinding) and read the counters. Bound
 * elsewhere on purpose (behind a proxy), any Host is taken.
 */
function loopbackHosts(host: string): ReadonlySet<string> | undefined {
  const loopback = host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
  if (!loopback) return undefined;
  return new Set(['localhost', '127.0.0.1', '[::1]', host.includes(':') ? `[${host}]` : host]);
}
