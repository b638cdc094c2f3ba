import { connect, type Socket } from 'node:net';

// Replies not yet read beyond which a sender waits: bounds the node's output buffer and ours.
const MAX_OUTSTANDING = 200_000;

/**
 * A raw RESP connection for loading millions of commands fast: commands are written as
 * pre-encoded text, replies are only counted (one line each). ioredis costs several µs per
 * command on the client, which would make a 30M-counter load take many minutes; this measures
 * storage, not a client. Only integer replies are expected: any error reply fails the load.
 */
export class RespSink {
  private outstanding = 0;
  private lastByte: number | undefined;
  private failure: Error | undefined;
  private waiters: Array<() => void> = [];

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      // An error reply is a line starting with '-'; a negative integer reply is ':-5'.
      for (let at = chunk.indexOf(0x2d); at !== -1; at = chunk.indexOf(0x2d, at + 1)) {
        const before = at > 0 ? chunk[at - 1] : this.lastByte;
        if (before !== 0x3a)
          this.fail(new Error(`error reply: ${chunk.toString('latin1', at, at + 200)}`));
      }
      this.lastByte = chunk[chunk.length - 1] ?? this.lastByte;
      let lines = 0;
      for (let at = chunk.indexOf(0x0a); at !== -1; at = chunk.indexOf(0x0a, at + 1)) lines++;
      this.outstanding -= lines;
      this.wake();
    });
    socket.on('error', (err) => this.fail(err));
  }

  static async open(host: string, port: number): Promise<RespSink> {
    const socket = connect({ host, port });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RespSink(socket);
  }

  /** One command's RESP text (ASCII arguments only: lengths are string lengths). */
  static encode(args: readonly string[]): string {
    let out = `*${args.length}\r\n`;
    for (const a of args) out += `$${a.length}\r\n${a}\r\n`;
    return out;
  }

  /** Writes `commands` encoded commands; waits while too many replies are outstanding. */
  async send(text: string, commands: number): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    this.outstanding += commands;
    this.socket.write(text);
    while (this.outstanding > MAX_OUTSTANDING && this.failure === undefined) await this.next();
    if (this.failure !== undefined) throw this.failure;
  }

  /** Waits until every reply sent for so far has arrived. */
  async drained(): Promise<void> {
    while (this.outstanding > 0 && this.failure === undefined) await this.next();
    if (this.failure !== undefined) throw this.failure;
  }

  /** Waits for every reply, then closes the connection. */
  async close(): Promise<void> {
    await this.drained();
    this.socket.end();
  }

  private next(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.wake();
  }
}
