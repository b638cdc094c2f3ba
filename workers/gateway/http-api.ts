import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { QueueUnavailableError } from '../../src/errors/index.js';
import {
  bodyFormat,
  idempotencyKeyProblem,
  parseCounterQuery,
  parseIncrementsBody,
  requestBatch,
  type BearerToken,
} from '../../src/gateway/index.js';
import type { GatewayMetrics, GatewayRoute } from '../../src/metrics/index.js';
import type { CounterReader } from '../../src/reader/index.js';
import { jsonMember } from '../cli/commands/reader-from-config.js';
import { readBody } from './body-reader.js';
import type { RequestJobs } from './request-jobs.js';

/** What the HTTP API works with; the gateway process owns each of them. */
export interface HttpApiContext {
  readonly jobs: RequestJobs;
  /** Absent: COUNTD_NODES unset, counters cannot be read (501). */
  readonly reader: CounterReader<'bigint'> | undefined;
  readonly metrics: GatewayMetrics;
  /** Absent: no authentication (COUNTD_GATEWAY_TOKEN unset). */
  readonly token: BearerToken | undefined;
  readonly maxBodyBytes: number;
  readonly log: Logger;
  /** Replaces the configuration's secrets in a message a client is about to see. */
  readonly redact: (text: string) => string;
  /** True once the gateway drains: answers carry `Connection: close`. */
  readonly draining: () => boolean;
}

const ROUTES: Record<string, { route: GatewayRoute; method: string }> = {
  '/v1/increments': { route: 'increments', method: 'POST' },
  '/v1/counters': { route: 'counters', method: 'GET' },
  '/v1/series': { route: 'series', method: 'GET' },
};

/**
 * `POST /v1/increments`, `GET /v1/counters`, `GET /v1/series` (501 until time buckets exist).
 * Every answer is JSON; every status is counted (`countd_gateway_requests_total`).
 */
export function httpApi(context: HttpApiContext) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    const mark = url.indexOf('?');
    const path = mark < 0 ? url : url.slice(0, mark);
    const search = mark < 0 ? '' : url.slice(mark + 1);
    const known = ROUTES[path];
    const route = known?.route ?? 'other';
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      context.metrics.requests.inc({ route, status: String(status) });
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      const close = context.draining() || status === 413 ? { connection: 'close' } : {};
      res.writeHead(status, { 'content-type': 'application/json', ...close, ...headers });
      res.end(`${text}\n`);
    };
    if (known === undefined)
      return reply(404, { error: 'not found: POST /v1/increments, GET /v1/counters?name=…' });
    if (req.method !== known.method)
      return reply(405, { error: `${path} takes ${known.method}` }, { allow: known.method });
    if (context.token !== undefined && !context.token.accepts(req.headers.authorization))
      return reply(
        401,
        { error: 'missing or wrong bearer token (Authorization: Bearer <COUNTD_GATEWAY_TOKEN>)' },
        { 'www-authenticate': 'Bearer realm="countd"' },
      );
    const answer =
      route === 'increments'
        ? postIncrements(context, req)
        : route === 'counters'
          ? getCounters(context, search)
          : Promise.resolve(seriesNotYet());
    answer.then(
      ({ status, body, headers }) => reply(status, body, headers),
      (err: unknown) => {
        context.log.error({ err, path }, 'request failed');
        reply(500, { error: 'internal error (logged by the gateway)' });
      },
    );
  };
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

async function postIncrements(context: HttpApiContext, req: IncomingMessage): Promise<Answer> {
  const format = bodyFormat(req.headers['content-type']);
  if (format === undefined) {
    return {
      status: 415,
      body: { error: 'Content-Type must be application/json or application/x-ndjson' },
    };
  }
  const key = req.headers['idempotency-key'];
  if (Array.isArray(key)) return { status: 400, body: { error: 'one Idempotency-Key at most' } };
  const keyProblem = key === undefined ? undefined : idempotencyKeyProblem(key);
  if (keyProblem !== undefined) return { status: 400, body: { error: keyProblem } };
  const read = await readBody(req, context.maxBodyBytes);
  if (!read.ok) return { status: read.status, body: { error: read.error } };
  context.metrics.receivedBytes.inc({ transport: 'http' }, read.body.length);
  const parsed = parseIncrementsBody(read.body, format);
  if (!parsed.ok) return { status: 400, body: problemBody(parsed) };
  const batch = requestBatch(parsed.entries);
  if (!batch.ok) return { status: 400, body: problemBody(batch) };
  try {
    const outcome = await context.jobs.add(batch, key);
    if (outcome === 'conflict') {
      return {
        status: 422,
        body: { error: 'this Idempotency-Key was used with other increments; nothing added' },
      };
    }
    context.metrics.incrementsAccepted.inc({ source: 'http' }, batch.increments);
    if (outcome === 'duplicate') {
      context.metrics.idempotentReplays.inc();
      return { status: 200, body: { accepted: batch.increments, duplicate: true } };
    }
    return { status: 200, body: { accepted: batch.increments } };
  } catch (err) {
    if (!(err instanceof QueueUnavailableError)) throw err;
    context.log.warn({ err }, 'queue did not confirm a request');
    return {
      status: 503,
      headers: { 'retry-after': '1' },
      body: {
        error: `the queue did not confirm these increments: not accepted (${context.redact(err.message)}); retrying with an Idempotency-Key cannot count them twice`,
      },
    };
  }
}

async function getCounters(context: HttpApiContext, search: string): Promise<Answer> {
  const query = parseCounterQuery(search);
  if (!query.ok) return { status: 400, body: problemBody(query) };
  if (context.reader === undefined)
    return { status: 501, body: { error: 'COUNTD_NODES is not set: counters cannot be read' } };
  let values: Map<string, bigint>;
  try {
    values = await context.reader.getMany(query.names);
  } catch (err) {
    context.log.warn({ err }, 'counters could not be read');
    const detail = context.redact(err instanceof Error ? err.message : String(err));
    return { status: 503, body: { error: `a storage node could not be read: ${detail}` } };
  }
  // Hand-written: values are exact JSON numbers even past 2^53 (JSON.stringify has no bigint).
  const members = [...values].map(([name, value]) => jsonMember(name, value));
  return { status: 200, body: `{${members.join(',')}}` };
}

function seriesNotYet(): Answer {
  return {
    status: 501,
    body: {
      error:
        'GET /v1/series needs time buckets, which countd does not keep yet (issue 14); GET /v1/counters reads current values',
    },
  };
}

function problemBody(problem: { error: string; index?: number }): unknown {
  return problem.index === undefined
    ? { error: problem.error }
    : { error: problem.error, index: problem.index };
}
