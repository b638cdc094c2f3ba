import { SentinelConnector } from 'ioredis';

type ConnectArgs = Parameters<SentinelConnector['connect']>;
type Stream = Awaited<ReturnType<SentinelConnector['connect']>>;

/** What ioredis keeps private in SentinelConnector and this class must reach (ioredis 6.0). */
interface DetectorField {
  failoverDetector: { cleanup(): void } | null;
}

/**
 * ioredis's Sentinel connector, with its failover detector bound to the connection it watches.
 *
 * The detector (`failoverDetector: true`: subscriptions to `+switch-master` on the sentinels,
 * opened once a connection to the primary is up) is meant to drop that connection when the
 * sentinels promote another primary, for a primary that is hung rather than gone. ioredis 6.0
 * keeps it alive after that connection closes, which does two kinds of harm:
 *
 * - A primary killed: the connection closes, the client reconnects through the sentinels, and
 *   the old detector is still subscribed. When `+switch-master` arrives while a reconnect is
 *   asking a sentinel for the primary, the detector disconnects the connector mid-connect; the
 *   connect then fails with "Connection is closed." and ioredis sets the client's status to
 *   `end`: it never reconnects again. A worker's node client in that state failed every flush
 *   for ever and held its jobs (their locks renewed), so the queue never drained.
 * - `quit()`: the server closes the connection but the detector's sockets to the sentinels stay
 *   open, so a CLI command over a `redis+sentinel://` URL never exits (ioredis issue #1362).
 *
 * Here the detector is cleaned up as soon as the connection it was made for closes, whatever
 * closed it: a reconnect makes its own once connected, and no detector outlives its connection.
 */
export class FollowingSentinelConnector extends SentinelConnector {
  /** ioredis passes the client's options (`Connector` option: `new (options: unknown)`). */
  constructor(options: unknown) {
    super(options as ConstructorParameters<typeof SentinelConnector>[0]);
  }

  override async connect(...args: ConnectArgs): Promise<Stream> {
    const stream = await super.connect(...args);
    // The detector of this stream is made on its 'connect' event, before any 'close'.
    stream.once('close', () => this.dropFailoverDetector());
    return stream;
  }

  private dropFailoverDetector(): void {
    const self = this as unknown as DetectorField;
    const detector = self.failoverDetector;
    self.failoverDetector = null;
    detector?.cleanup();
  }
}
