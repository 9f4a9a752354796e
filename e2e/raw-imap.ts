import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

/**
 * A deliberately dumb line client for tests that must send what real clients never would
 * (malformed commands, hostile literals, pipelined STARTTLS injection).
 */
export class RawImap {
  private buffer = '';
  private waiters: Array<() => void> = [];
  closed = false;
  /** The server's first line (OK, PREAUTH or BYE). */
  greeting = '';

  private constructor(public socket: Socket | TLSSocket) {
    this.bind(socket);
  }

  private bind(socket: Socket | TLSSocket): void {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buffer += d;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  static async open(port: number, opts: { tls?: boolean; ca?: string } = {}): Promise<RawImap> {
    const socket = opts.tls
      ? tlsConnect({ port, host: '127.0.0.1', ca: [opts.ca!], servername: 'localhost' })
      : netConnect({ port, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => {
      socket.once(opts.tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    const client = new RawImap(socket);
    client.greeting = await client.until((b) => b.includes('\r\n'));
    return client;
  }

  /** Wait until the received text satisfies `done`; returns it and clears the buffer. */
  async until(done: (buffer: string) => boolean, timeoutMs = 10000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.buffer)) {
      if (this.closed) break;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; received so far: ${JSON.stringify(this.buffer.slice(-500))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const text = this.buffer;
    this.buffer = '';
    return text;
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Send a tagged command and wait for its completion; returns every line received. */
  async command(tag: string, text: string, timeoutMs?: number): Promise<string> {
    this.send(`${tag} ${text}\r\n`);
    return this.until((b) => new RegExp(`(^|\\r\\n)${tag} (OK|NO|BAD)[^\\r\\n]*\\r\\n`).test(b), timeoutMs);
  }

  async upgrade(ca: string): Promise<void> {
    const secure = tlsConnect({ socket: this.socket as Socket, ca: [ca], servername: 'localhost' });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.socket.removeAllListeners('data');
    this.socket = secure;
    this.bind(secure);
  }

  close(): void {
    this.socket.destroy();
  }
}
