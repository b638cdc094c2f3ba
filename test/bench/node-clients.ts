import { Redis, type RedisOptions } from 'ioredis';
import { HashRing } from '../../src/ring/index.js';
import { StorageLayout } from '../../src/storage/index.js';

/** The storage nodes a baseline writes to directly, placed as countd places them. */
export interface NodeClientsConfig {
  readonly nodes: ReadonlyArray<{ readonly id: string; readonly url: string }>;
  readonly prefix: string;
  readonly buckets: number;
}

/** Host and port of a bench server's `redis://host:port` URL. */
export function hostPort(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port) };
}

/**
 * One client per node (connected and answering before `go`, so no timed send waits for a
 * connection) and the ring and layout countd uses, so a baseline writes the same hashes.
 */
export async function connectNodes(
  config: NodeClientsConfig,
  options: RedisOptions = {},
): Promise<{ layout: StorageLayout; clients: Map<string, Redis> }> {
  const ring = new HashRing(config.nodes.map((n) => ({ id: n.id, weight: 1 })));
  const layout = new StorageLayout(ring, config.prefix, config.buckets);
  const clients = new Map<string, Redis>();
  for (const node of config.nodes) {
    const client = new Redis({ ...hostPort(node.url), ...options });
    await client.ping();
    clients.set(node.id, client);
  }
  return { layout, clients };
}
