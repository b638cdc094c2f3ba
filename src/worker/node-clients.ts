import { Redis, type RedisOptions } from 'ioredis';
import type { NodeReplicationState } from '../metrics/index.js';
import { closeConnection, parseReplicationInfo } from '../redis/index.js';

/** A storage node as a worker reaches it. */
export interface NodeConnection {
  readonly id: string;
  readonly connection: RedisOptions;
}

/**
 * One client per storage node of one ring version, opened at construction (they connect and
 * reconnect by themselves) and closed by {@link close}. `purpose` names them in CLIENT LIST.
 */
export class NodeClients {
  /** In the order of the nodes given. */
  readonly clients: readonly Redis[];

  constructor(
    readonly nodes: readonly NodeConnection[],
    commandTimeoutMs: number,
    purpose = 'worker',
  ) {
    this.clients = nodes.map(
      (node) =>
        new Redis({
          ...node.connection,
          // Fail fast while a node is down: the flusher retries with backoff and jobs stay held,
          // rather than commands piling up in an offline queue.
          enableOfflineQueue: false,
          commandTimeout: commandTimeoutMs,
          maxRetriesPerRequest: 1,
          connectionName: `countd-${purpose}-${node.id}`,
        }),
    );
    for (const redis of this.clients) redis.on('error', () => undefined); // reported through flush errors
  }

  /** The client of node `id`, if it is one of these. */
  of(id: string): Redis | undefined {
    const n = this.nodes.findIndex((node) => node.id === id);
    return n === -1 ? undefined : this.clients[n];
  }

  /** True when every node answers a PING. */
  async answering(): Promise<boolean> {
    const answers = await Promise.all(
      this.clients.map((r) =>
        r.ping().then(
          () => true,
          () => false,
        ),
      ),
    );
    return answers.every(Boolean);
  }

  /**
   * What each node's connection reaches now, from `INFO replication` (the metrics' role and lag
   * gauges, on scrape). A node that does not answer within a second is `unreachable`: its
   * connection may be waiting out a WAIT or a failover.
   */
  nodeReplication(): Promise<NodeReplicationState[]> {
    return Promise.all(
      this.clients.map(async (redis, n) => {
        const node = this.nodes[n]!.id;
        const text = await Promise.race([
          redis.info('replication').catch(() => undefined),
          new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 1000).unref()),
        ]);
        if (text === undefined)
          return { node, role: 'unreachable', replicas: 0, lagSeconds: 0, lagBytes: 0 } as const;
        return { node, ...parseReplicationInfo(text) };
      }),
    );
  }

  /** Closes every client; each step runs even when an earlier one fails, each failure reported. */
  async close(onError: (error: unknown) => void): Promise<void> {
    for (const redis of this.clients) await closeConnection(redis).catch(onError);
  }
}
