import type { Writable } from 'node:stream';

/**
 * Buffered response output with backpressure. Untagged data of a big FETCH is gathered into chunks of
 * about 64 KiB; `flush` writes and waits for the socket to drain, so a slow client cannot make the server
 * hold a whole 100,000-message response in memory.
 */
const CHUNK = 64 * 1024;

export class ResponseOutput {
  private parts: Array<string | Buffer> = [];
  private pending = 0;

  constructor(private sink: Writable) {}

  /** Switch to a new sink (after STARTTLS or COMPRESS), keeping nothing buffered. */
  replaceSink(sink: Writable): void {
    this.parts = [];
    this.pending = 0;
    this.sink = sink;
  }

  /** Queue bytes; returns a promise only when the buffer is full and has to be flushed. */
  write(data: string | Buffer): Promise<void> | undefined {
    this.parts.push(data);
    this.pending += data.length;
    return this.pending >= CHUNK ? this.flush() : undefined;
  }

  line(text: string): Promise<void> | undefined {
    return this.write(text + '\r\n');
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const parts = this.parts;
    this.parts = [];
    this.pending = 0;
    const sink = this.sink;
    if (sink.destroyed || !sink.writable) return;
    const data = joinParts(parts);
    if (!sink.write(data)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          sink.off('drain', done);
          sink.off('close', done);
          resolve();
        };
        sink.on('drain', done);
        sink.on('close', done);
      });
    }
    const flushable = sink as Writable & { flush?: (cb?: () => void) => void };
    // A deflate stream (COMPRESS) must be flushed so the client sees a complete response.
    if (typeof flushable.flush === 'function') await new Promise<void>((resolve) => flushable.flush!(() => resolve()));
  }
}

/** One chunk for the socket: strings are joined first (one conversion), buffers kept as they are. */
function joinParts(parts: Array<string | Buffer>): string | Buffer {
  if (parts.every((p) => typeof p === 'string')) return (parts as string[]).join('');
  const buffers: Buffer[] = [];
  let text = '';
  for (const part of parts) {
    if (typeof part === 'string') text += part;
    else {
      if (text) buffers.push(Buffer.from(text));
      text = '';
      buffers.push(part);
    }
  }
  if (text) buffers.push(Buffer.from(text));
  return Buffer.concat(buffers);
}
