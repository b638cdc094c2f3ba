import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** What the operations endpoints report on. */
export interface OpsTarget {
  readonly registry: Registry;
  /** Queue and every node reachable, ring accepted. */
  ready(): Promise<boolean>;
}

/** A running `/metrics`, `/healthz`, `/readyz` server. */
export interface OpsServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves Prometheus metrics and health checks; port 0 picks a free port. */
export async function startOpsServer(
  target: OpsTarget,
  host: string,
  port: number,
): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'method not allowed\n');
    if (path === '/healthz') return reply(200, 'ok\n');
    if (path === '/readyz') {
      target.ready().then(
        (ok) =>
          reply(
            ok ? 200 : 503,
            ok ? 'ready\n' : 'not ready: queue or a storage node unreachable\n',
          ),
        () => reply(503, 'not ready\n'),
      );
      return;
    }
    if (path === '/metrics') {
      target.registry.metrics().then(
        (text) => reply(200, text, target.registry.contentType),
        (err: unknown) => reply(500, `metrics failed: ${String(err)}\n`),
      );
      return;
    }
    reply(404, 'not found: try /metrics, /healthz, /readyz\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
