import { Redis, type RedisOptions } from 'ioredis';
import {
  redactUrl,
  toRedisOptions,
  type CountdConfig,
  type NodeSpec,
} from '../../../src/config/index.js';
import { nodeConnections } from '../../../src/config/ring-from-config.js';
import { ConfigError } from '../../../src/errors/index.js';
import { closeConnection } from '../../../src/redis/index.js';
import type { RegisteredNode, RingRecord } from '../../../src/ring-change/index.js';
import { connectionFromRecord } from '../../../src/worker/registered-url.js';
import { CLI_CONNECT_TIMEOUT_MS } from './reader-from-config.js';

/**
 * The connections of a ring command to storage nodes (docs/ring.md, "Versions and where they
 * are kept"): the URL of COUNTD_NODES for a node it names, the added node's URL as typed (with
 * its credentials), else the ring record's URL with the credentials of the first configured
 * node. Owns every client it opened; `close()` closes them all.
 */
export class RingNodeClients {
  private readonly configured: ReadonlyMap<string, RedisOptions>;
  private readonly credentials: RedisOptions;
  private readonly opened: Redis[] = [];
  /** Per node id, the last connection error while it was not ready (cleared on ready). */
  private readonly failing = new Map<string, string>();

  constructor(config: CountdConfig, added: NodeSpec | undefined) {
    const list = config.nodes === undefined ? [] : nodeConnections(config);
    const configured = new Map(list.map((n) => [n.id, n.connection]));
    if (added !== undefined) configured.set(added.id, toRedisOptions(added.connection));
    this.configured = configured;
    this.credentials = list[0]?.connection ?? {};
  }

  /** ioredis options for `node`; a ConfigError (exit 2) when nothing says where it is. */
  options(node: RegisteredNode): RedisOptions {
    const configured = this.configured.get(node.id);
    if (configured !== undefined) return configured;
    if (node.url === undefined)
      throw new ConfigError(
        'COUNTD_NODES',
        `node "${node.id}" has no URL in the registered ring (written by countd 0.1.0): ` +
          'name it in COUNTD_NODES or --nodes',
      );
    return connectionFromRecord(node.id, node.url, this.credentials);
  }

  /** A new client of `node`, closed by `close()`. Errors surface through the commands sent. */
  readonly connect = (node: RegisteredNode): Redis => {
    const client = new Redis({
      ...this.options(node),
      connectTimeout: CLI_CONNECT_TIMEOUT_MS,
      // A node that stays unreachable fails the command after a few tries (exit 1), not never.
      maxRetriesPerRequest: 3,
      lazyConnect: false,
    });
    // Kept for the message: a command that fails on a dead node says which node it was.
    client.on('error', (err: Error) => this.failing.set(node.id, err.message));
    client.on('ready', () => this.failing.delete(node.id));
    this.opened.push(client);
    return client;
  };

  /** One client per node of the given rings, keyed by node id (what planChange reads). */
  forRings(...records: readonly RingRecord[]): Map<string, Redis> {
    const clients = new Map<string, Redis>();
    for (const record of records)
      for (const node of record.nodes)
        if (!clients.has(node.id)) clients.set(node.id, this.connect(node));
    return clients;
  }

  /** `node d: connect ECONNREFUSED 10.0.0.4:6379; ...` for the nodes not reachable now, if any. */
  unreachable(): string | undefined {
    if (this.failing.size === 0) return undefined;
    return [...this.failing].map(([id, message]) => `node ${id}: ${redactUrl(message)}`).join('; ');
  }

  async close(): Promise<void> {
    await Promise.all(this.opened.splice(0).map((c) => closeConnection(c)));
  }
}
