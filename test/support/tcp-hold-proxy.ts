import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A script call in RESP: the bulk-string header of the command name, then EVALSHA, EVAL or
 * FCALL. ioredis sends a defineCommand script as EVALSHA, and as EVAL after a NOSCRIPT.
 */
export const SCRIPT_CALL = /\$\d+\r\n(?:evalsha|eval|fcall)\r\n/i;

// A command name split across two chunks is still found: this many bytes of the previous
// chunk are searched together with the next one.
const CARRY_BYTES = 32;

/** What a proxy holds: a test of the bytes of one chunk (with the end of the chunk before it). */
export type ChunkMatch = (text: string) => boolean;

/** The chunk a proxy started holding. */
export interface HeldChunk {
  /** Bytes of the chunk that matched (more may be held behind it). */
  readonly bytes: number;
  /** performance.now() when it was held. */
  readonly at: number;
}

/** What {@link TcpHoldProxy.release} did with the held bytes. */
export interface ReleaseOutcome {
  /** True when held bytes were written to the server on a still-open connection. */
  readonly delivered: boolean;
  /** Bytes forwarded to the server. */
  readonly bytes: number;
  /** The first bytes the server sent back on that connection afterwards, if any came in time. */
  readonly reply: Buffer | undefined;
}

/** One client connection and its connection to the server. */
class Relay {
  held: Buffer[] | undefined;
  private carry: Buffer = Buffer.alloc(0);
  private replyWaiter: ((reply: Buffer) => void) | undefined;

  constructor(
    readonly client: Socket,
    readonly server: Socket,
    private readonly proxy: TcpHoldProxy,
  ) {
    client.on('data', (chunk: Buffer) => this.fromClient(chunk));
    server.on('data', (chunk: Buffer) => this.fromServer(chunk));
    const end = () => this.destroy();
    for (const socket of [client, server]) {
      socket.on('error', end);
      socket.on('close', end);
    }
  }

  get open(): boolean {
    return !this.client.destroyed && !this.server.destroyed;
  }

  /** Forwards what is held; resolves with the server's next bytes (or undefined past `ms`). */
  async release(ms: number): Promise<{ delivered: boolean; bytes: number; reply?: Buffer }> {
    const held = this.held ?? [];
    this.held = undefined;
    if (held.length === 0 || !this.open) return { delivered: false, bytes: 0 };
    const data = Buffer.concat(held);
    const reply = new Promise<Buffer | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), ms);
      this.replyWaiter = (bytes) => {
        clearTimeout(timer);
        resolve(bytes);
      };
    });
    this.server.write(data);
    const answer = await reply;
    return { delivered: true, bytes: data.length, ...(answer ? { reply: answer } : {}) };
  }

  destroy(): void {
    this.client.destroy();
    this.server.destroy();
    this.proxy.forget(this);
  }

  private fromClient(chunk: Buffer): void {
    if (this.held !== undefined) {
      this.held.push(chunk);
      return;
    }
    const match = this.proxy.armed;
    if (match !== undefined) {
      const text = Buffer.concat([this.carry, chunk]).toString('latin1');
      this.carry = chunk.subarray(Math.max(0, chunk.length - CARRY_BYTES));
      if (match(text) && this.proxy.claimHold(this, chunk)) {
        this.held = [chunk];
        return;
      }
    }
    this.server.write(chunk);
  }

  private fromServer(chunk: Buffer): void {
    const waiter = this.replyWaiter;
    this.replyWaiter = undefined;
    waiter?.(chunk);
    this.client.write(chunk);
  }
}

/**
 * A TCP relay on a free loopback port in front of one server (a storage node), forwarding bytes
 * both ways, that can be told to hold the next client→server chunk that passes a test (by
 * default an apply script call) together with everything the same connection sends after it,
 * until {@link release}. A test points one worker at the proxy to stop that worker's write
 * between the moment it decided to send it and the moment it reaches the server: the command
 * is on the wire, the server has not seen it.
 */
export class TcpHoldProxy {
  /** The test the next held chunk must pass, while armed. */
  armed: ChunkMatch | undefined;
  private holding: Relay | undefined;
  private onHold: ((held: HeldChunk) => void) | undefined;
  private readonly relays = new Set<Relay>();

  private constructor(
    private readonly listener: Server,
    readonly port: number,
    readonly target: { readonly host: string; readonly port: number },
  ) {}

  /** Listens on 127.0.0.1 (a free port) and relays each connection to `target`. */
  static async start(target: { host: string; port: number }): Promise<TcpHoldProxy> {
    const listener = createServer();
    listener.listen(0, '127.0.0.1');
    await once(listener, 'listening');
    const proxy = new TcpHoldProxy(listener, (listener.address() as AddressInfo).port, target);
    listener.on('connection', (client) => proxy.relay(client));
    return proxy;
  }

  /** `redis://127.0.0.1:<port>`: the URL a worker uses to reach the server through the proxy. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** True while a connection's bytes are held. */
  get isHolding(): boolean {
    return this.holding !== undefined;
  }

  /**
   * Arms the proxy: the next client→server chunk that `match` accepts (by default: one with a
   * script call), on any connection, is held with everything sent after it on that connection.
   * Resolves when it is held. One hold at a time: arming again before {@link release} replaces
   * the test and the promise. The chunk's bytes reach `match` as a latin1 string.
   */
  holdNext(match: ChunkMatch = (text) => SCRIPT_CALL.test(text)): Promise<HeldChunk> {
    this.armed = match;
    return new Promise((resolve) => (this.onHold = resolve));
  }

  /**
   * Disarms, forwards the held bytes to the server and resolves with what happened, including
   * the first reply bytes that come back within `replyTimeoutMs`.
   */
  async release(replyTimeoutMs = 5000): Promise<ReleaseOutcome> {
    this.armed = undefined;
    this.onHold = undefined;
    const relay = this.holding;
    this.holding = undefined;
    if (relay === undefined) return { delivered: false, bytes: 0, reply: undefined };
    const outcome = await relay.release(replyTimeoutMs);
    return { delivered: outcome.delivered, bytes: outcome.bytes, reply: outcome.reply };
  }

  /** Closes every connection and the listener. */
  async close(): Promise<void> {
    this.armed = undefined;
    for (const relay of [...this.relays]) relay.destroy();
    await new Promise<void>((resolve) => this.listener.close(() => resolve()));
  }

  /** @internal A relay asks to hold `chunk`; true when this proxy is armed and holds nothing yet. */
  claimHold(relay: Relay, chunk: Buffer): boolean {
    if (this.armed === undefined || this.holding !== undefined) return false;
    this.armed = undefined;
    this.holding = relay;
    const onHold = this.onHold;
    this.onHold = undefined;
    onHold?.({ bytes: chunk.length, at: performance.now() });
    return true;
  }

  private relay(client: Socket): void {
    // Nothing is read from the client until the server connection is up.
    client.pause();
    const server = connect(this.target.port, this.target.host);
    this.relays.add(new Relay(client, server, this));
    server.once('connect', () => client.resume());
  }

  /** @internal */
  forget(relay: Relay): void {
    this.relays.delete(relay);
  }
}

/** A RESP reply in one printable line: its first `max` characters, CR/LF shown as \r\n. */
export function describeReply(reply: Buffer | undefined, max = 120): string {
  if (reply === undefined) return 'no reply';
  const text = reply.toString('latin1');
  const kind = text.startsWith('-')
    ? 'error'
    : text.startsWith('*')
      ? 'array'
      : text.startsWith(':')
        ? 'integer'
        : 'reply';
  const shown = text.slice(0, max).replace(/\r/g, '\\r').replace(/\n/g, '\\n');
  return `${kind} "${shown}${text.length > max ? '…' : ''}"`;
}
