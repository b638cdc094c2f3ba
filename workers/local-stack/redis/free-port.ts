import { createServer } from 'node:net';

/**
 * Returns a TCP port that was free on `host` a moment ago, by binding port 0 and closing.
 *
 * Another process may take it before the caller binds it: callers that spawn a server on
 * it must detect "address in use" and try again with a new port.
 */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close(() => {
        if (port === undefined) reject(new Error(`could not read the port bound on ${host}`));
        else resolve(port);
      });
    });
  });
}
