import type { RedisOptions } from 'ioredis';
import { NodeClient, type NodeClientSettings } from './node-client.js';
import type { ReaderNode } from './reader-options.js';

/**
 * The reader's connections to storage nodes, one per node id, opened on first use. A reader
 * that follows the fleet's ring adds the nodes a new ring version names; connections stay
 * until the reader closes (a fleet has few nodes, and a removed one may be read until the
 * change that removes it is over).
 */
export class NodePool {
  private readonly nodes = new Map<string, { node: ReaderNode; client: NodeClient }>();
  private readonly configured: readonly string[];

  constructor(
    initial: readonly ReaderNode[],
    private readonly settings: NodeClientSettings,
  ) {
    for (const node of initial) this.add(node.id, node.connection);
    this.configured = initial.map((n) => n.id);
  }

  /** Ids of the nodes the reader was given, in their order. */
  configuredIds(): readonly string[] {
    return this.configured;
  }

  /** The client of `id`, created with `connection` when the pool has none yet. */
  add(id: string, connection: RedisOptions): NodeClient {
    const known = this.nodes.get(id);
    if (known !== undefined) return known.client;
    const client = new NodeClient(id, connection, this.settings);
    this.nodes.set(id, { node: Object.freeze({ id, connection }), client });
    return client;
  }

  has(id: string): boolean {
    return this.nodes.has(id);
  }

  client(id: string): NodeClient | undefined {
    return this.nodes.get(id)?.client;
  }

  node(id: string): ReaderNode | undefined {
    return this.nodes.get(id)?.node;
  }

  /** Closes every connection; never throws. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.nodes.values()].map(({ client }) => client.close()));
  }
}
