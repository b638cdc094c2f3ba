import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidSeriesRequestError } from '../../src/errors/index.js';
import type { CounterReader } from '../../src/reader/index.js';
import type { Granularity } from '../../src/rollups/index.js';
import { streamCounterEvents } from './counter-events.js';
import { SECURITY_HEADERS, type StaticPage } from './static-page.js';
import { searchQuery, seriesQuery, watchQuery, type QueryProblem } from './ui-query.js';

/** Reads a counter's series: `reader.getSeries` (docs/series.md, "Reading series"). */
export type SeriesSource = (
  name: string,
  options: { readonly step: Granularity; readonly from: number; readonly to: number },
) => Promise<ReadonlyArray<readonly [number, bigint | number]>>;

/** What the routes work with; the server owns each of them. */
export interface UiContext {
  readonly reader: CounterReader<'bigint'>;
  readonly series: SeriesSource;
  /** The steps the page offers: the deployment's rollups (all three when unknown). */
  readonly steps: readonly Granularity[];
  readonly page: StaticPage;
  /** Aborted when the server closes: live streams end. */
  readonly closing: AbortSignal;
  /** Host header names the server answers to (DNS rebinding); undefined: any. */
  readonly hosts: ReadonlySet<string> | undefined;
  /** Live streams at most; past it, 503 (each holds a socket and a watch). */
  readonly maxStreams: number;
  readonly now: () => number;
  /** Told of a request that failed on the server's side (a node down): the page gets a 502. */
  readonly onError: (err: unknown, path: string) => void;
  /** Replaces the configuration's secrets in a message a client is about to see. */
  readonly redact: (text: string) => string;
}

/**
 * `GET /` (the page and its files), `/api/counters?glob=&limit=`, `/api/watch?glob=` (SSE),
 * `/api/series?name=&step=&since=`, `/api/info`. Answers are JSON `{ error }` on failure: 400
 * names the parameter that is wrong, 502 means a storage node did not answer.
 */
export function uiRoutes(context: UiContext) {
  let streams = 0;
  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://ui.invalid');
    const path = url.pathname;
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        ...SECURITY_HEADERS,
      });
      res.end(`${JSON.stringify(body)}\n`);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return reply(405, { error: 'only GET' });
    }
    if (context.hosts !== undefined && !context.hosts.has(hostName(req.headers.host)))
      return reply(421, {
        error: 'unexpected Host header: open the page by the address countd ui printed',
      });
    if (!path.startsWith('/api/')) {
      if (context.page.serve(path, res, req.method === 'HEAD')) return;
      return reply(404, { error: 'not found: the page is at /' });
    }
    const failed = (err: unknown) => {
      if (err instanceof InvalidSeriesRequestError) return reply(400, { error: err.message });
      context.onError(err, path);
      reply(502, { error: context.redact(`reading the counters failed: ${message(err)}`) });
    };
    const params = url.searchParams;
    switch (path) {
      case '/api/info':
        return reply(200, { steps: context.steps, nodes: context.reader.watchedNodes() });
      case '/api/counters': {
        const query = searchQuery(params);
        if (isProblem(query)) return reply(400, { error: query.problem });
        return void search(context.reader, query.glob, query.limit).then(
          (found) => reply(200, found),
          failed,
        );
      }
      case '/api/series': {
        const query = seriesQuery(params, context.now());
        if (isProblem(query)) return reply(400, { error: query.problem });
        if (!context.steps.includes(query.step))
          return reply(400, {
            error: `step ${query.step} is not kept here (rollups: ${context.steps.join(', ') || 'none'})`,
          });
        const { name, step, from, to } = query;
        return void context.series(name, { step, from, to }).then(
          (points) =>
            reply(200, {
              name,
              step,
              from,
              to,
              points: points.map(([start, value]) => [start, value.toString()]),
            }),
          failed,
        );
      }
      case '/api/watch': {
        const query = watchQuery(params);
        if (isProblem(query)) return reply(400, { error: query.problem });
        if (streams >= context.maxStreams)
          return reply(503, { error: `${streams} live pages already: close one` });
        streams++;
        req.once('close', () => streams--);
        return streamCounterEvents(context.reader, query.glob, req, res, context.closing);
      }
      default:
        return reply(404, {
          error: 'not found: /api/counters, /api/watch, /api/series, /api/info',
        });
    }
  };
}

/** The counters matching `glob`, sorted by name, at most `limit`; `more` when others match. */
async function search(
  reader: CounterReader<'bigint'>,
  glob: string,
  limit: number,
): Promise<{ glob: string; counters: Array<[string, string]>; more: boolean }> {
  const counters: Array<[string, string]> = [];
  let more = false;
  for await (const [name, value] of reader.listAll(glob, { count: 1000 })) {
    if (counters.length === limit) {
      more = true;
      break;
    }
    counters.push([name, value.toString()]);
  }
  counters.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { glob, counters, more };
}

function isProblem(value: object): value is QueryProblem {
  return 'problem' in value;
}

function hostName(header: string | undefined): string {
  if (header === undefined) return '';
  const text = header.toLowerCase();
  if (text.startsWith('[')) return text.slice(0, text.indexOf(']') + 1);
  const colon = text.lastIndexOf(':');
  return colon < 0 ? text : text.slice(0, colon);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
