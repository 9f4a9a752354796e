/**
 * Streaming IMAP command framer (server side): bytes in, complete commands out.
 *
 * A command is one or more text lines with literals between them. The reader cuts the byte stream into
 * commands, answers nothing itself, and enforces every limit before it stores a byte, so a client can
 * never make it hold more than `maxCommandBytes` plus a bounded input buffer.
 *
 * Usage (a session owns one reader per connection):
 *
 *   const reader = new CommandReader({ maxLiteralBytes: 64 << 20, literalMinus: false }, {
 *     onCommand(cmd) {                       // the reader is paused now
 *       const parsed = parseCommand(cmd, { utf8 });
 *       void session.run(parsed).then(() => reader.resume());   // or reader.readLine() for IDLE/AUTHENTICATE
 *     },
 *     onLiteral(req) {                        // a synchronizing literal {n} passed the reader's limits
 *       if (!session.authenticated && req.size > 8192) {
 *         socket.write(`${req.tag ?? '*'} NO [TOOBIG] Log in first\r\n`);
 *         return false;                       // refused: the client will not send the data
 *       }
 *       socket.write('+ Ready for literal data\r\n');
 *       return true;
 *     },
 *     onLine(line) { session.continuation(line); },   // a raw line asked for with readLine()
 *     onError(e) {                            // paused; reply, then go on with the next command
 *       socket.write(`${e.tag ?? '*'} ${e.status} ${e.code ? `[${e.code}] ` : ''}${e.text}\r\n`);
 *       reader.resume();
 *     },
 *     onFatal(e) { socket.end(`* BYE ${e.text}\r\n`); },
 *     onDrain() { socket.resume(); },
 *   });
 *   socket.on('data', (chunk) => { if (!reader.push(chunk)) socket.pause(); });
 *
 * (a) Synchronizing literals: a literal beyond the reader's limits is refused by the reader itself, through
 *     onError (tagged NO [TOOBIG], or BAD for too many literals), before the client sends the data. Otherwise
 *     it asks onLiteral, which sends "+ Ready for literal data" and returns true, or sends a tagged NO/BAD and
 *     returns false; either way the reader keeps the framing right (a refused literal is never sent, so the
 *     next line is a new command). Non-synchronizing literals ({n+}) cannot be refused because the data is
 *     already on its way: one that breaks the command limits (or LITERAL-'s 4096 bytes) is reported at once
 *     with a tagged BAD [TOOBIG], then read and thrown away with the rest of its command; one over
 *     maxLiteralBytes is fatal.
 * (b) After every event (onCommand, onLine, onError) the reader is paused, so the session handles one thing at
 *     a time; only the throwing-away of a failed line or command continues while paused. resume() reads the
 *     next command; readLine() reads exactly one raw line (an AUTHENTICATE continuation, IDLE's DONE) without
 *     literal processing and delivers it to onLine. An over-long raw line arrives as onError with raw: true
 *     instead; the session ends its AUTHENTICATE/IDLE exchange and calls resume() or readLine() again.
 * (c) onFatal means "send BYE and close": an oversized non-synchronizing literal, or more than maxPendingBytes
 *     buffered while paused (the session ignored push() returning false). The reader drops everything after.
 *
 * STARTTLS and COMPRESS: call takeBuffered() right after the command to remove what the client sent after it.
 * After STARTTLS that data must be discarded (plaintext command injection, CVE-2011-0411); after COMPRESS it
 * is compressed data to inflate and push() back.
 */
import { isIn, TAG_CHAR } from './chars.ts';
import type { CommandPiece, FramedCommand } from './types.ts';

export interface CommandReaderOptions {
  /** Longest text line, CRLF excluded (default 64 KiB). Longer lines get a tagged BAD. */
  maxLineBytes?: number;
  /** Largest single literal (default 64 MiB). */
  maxLiteralBytes?: number;
  /** Largest command, lines and literals together (default maxLiteralBytes + 1 MiB). */
  maxCommandBytes?: number;
  /** Most literals in one command (default 1000). */
  maxLiterals?: number;
  /** Only LITERAL- is advertised: non-synchronizing literals may not exceed 4096 bytes (RFC 7888). */
  literalMinus?: boolean;
  /** push() returns false once this much input waits while paused (default 256 KiB). */
  highWaterMark?: number;
  /** Input waiting while paused beyond this is fatal (default 8 MiB). */
  maxPendingBytes?: number;
}

export type FrameErrorKind =
  | 'line-too-long'
  | 'command-too-large'
  | 'literal-too-large'
  | 'too-many-literals'
  | 'input-overflow';

export interface FrameError {
  kind: FrameErrorKind;
  /** Tag of the affected command when it could be recovered; reply untagged (`*`) otherwise. */
  tag: string | null;
  status: 'BAD' | 'NO';
  /** Response code without brackets (TOOBIG), or null. */
  code: string | null;
  text: string;
  /**
   * The error replaces a raw line asked for with readLine() (an over-long AUTHENTICATE response or IDLE
   * line): the session should end that exchange, e.g. with a tagged BAD for the AUTHENTICATE command.
   */
  raw: boolean;
}

export interface LiteralRequest {
  tag: string | null;
  /** Upper-case command name (after a UID prefix), when recognisable. */
  command: string | null;
  uid: boolean;
  size: number;
  /** literal8 (`~{n}`). */
  binary: boolean;
  /** Bytes of this command received so far. */
  commandBytes: number;
}

export interface CommandReaderHandlers {
  /** A complete command. The reader is paused. */
  onCommand(command: FramedCommand): void;
  /** A synchronizing literal within limits: send "+ ..." and return true, or reply NO/BAD and return false. */
  onLiteral(request: LiteralRequest): boolean;
  /** A raw line requested with readLine(), CRLF removed. The reader is paused. */
  onLine(line: Buffer): void;
  /** A recoverable framing error to answer. The reader is paused. */
  onError(error: FrameError): void;
  /** Send BYE and close. The reader is closed. */
  onFatal(error: FrameError): void;
  /** Buffered input fell below the high-water mark after push() returned false. */
  onDrain?(): void;
}

type Limits = Required<CommandReaderOptions>;

interface Marker {
  size: number;
  sync: boolean;
  binary: boolean;
}

/** Non-synchronizing literal limit when only LITERAL- is advertised (RFC 7888 §4). */
export const LITERAL_MINUS_MAX = 4096;

const LF = 0x0a;
const CR = 0x0d;
const TAIL = 32;

function resolveLimits(o: CommandReaderOptions): Limits {
  const maxLiteralBytes = o.maxLiteralBytes ?? 64 * 1024 * 1024;
  return {
    maxLineBytes: o.maxLineBytes ?? 64 * 1024,
    maxLiteralBytes,
    maxCommandBytes: o.maxCommandBytes ?? maxLiteralBytes + 1024 * 1024,
    maxLiterals: o.maxLiterals ?? 1000,
    literalMinus: o.literalMinus ?? false,
    highWaterMark: o.highWaterMark ?? 256 * 1024,
    maxPendingBytes: o.maxPendingBytes ?? 8 * 1024 * 1024,
  };
}

/** Whether the line, up to `end`, leaves a quoted string open (a "{5}" inside quotes is not a literal). */
function insideQuotes(line: string, end: number): boolean {
  let inQuote = false;
  for (let i = 0; i < end; i++) {
    const c = line.charCodeAt(i);
    if (inQuote) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inQuote = false;
    } else if (c === 0x22) {
      inQuote = true;
    }
  }
  return inQuote;
}

const MARKER_RE = /(~?)\{([0-9]+)(\+?)\}$/;

/** The literal announced at the end of a line (`{n}`, `{n+}`, `~{n}`, `~{n+}`), if any. */
function markerAt(text: string, full: boolean): Marker | null {
  if (text.charCodeAt(text.length - 1) !== 0x7d) return null;
  const m = MARKER_RE.exec(text);
  if (m === null) return null;
  if (full && insideQuotes(text, m.index)) return null;
  const digits = m[2] ?? '';
  // More than 15 digits cannot be a size anyone accepts; report it as too large rather than misframe.
  const size = digits.length > 15 ? Number.POSITIVE_INFINITY : Number(digits);
  return { size, sync: m[3] !== '+', binary: m[1] === '~' };
}

/** Tag and command name from the start of a command line, for error replies and literal decisions. */
function headOf(bytes: Buffer): { tag: string | null; command: string | null; uid: boolean } {
  const text = bytes.toString('latin1', 0, Math.min(bytes.length, 512));
  let i = 0;
  while (i < text.length && isIn(TAG_CHAR, text.charCodeAt(i))) i++;
  if (i === 0 || (i < text.length && text[i] !== ' ')) return { tag: null, command: null, uid: false };
  const tag = text.slice(0, i);
  const words = text.slice(i + 1).split(' ', 2);
  let command = /^[A-Za-z]+$/.test(words[0] ?? '') ? (words[0] ?? '').toUpperCase() : null;
  let uid = false;
  if (command === 'UID') {
    uid = true;
    command = /^[A-Za-z]+$/.test(words[1] ?? '') ? (words[1] ?? '').toUpperCase() : null;
  }
  return { tag, command, uid };
}

export class CommandReader {
  private options: CommandReaderOptions;
  private limits: Limits;
  private readonly handlers: CommandReaderHandlers;

  // Input not yet processed: queue[0] from offset `head` on.
  private queue: Buffer[] = [];
  private head = 0;
  private pending = 0;
  private overHighWater = false;

  private paused = false;
  private running = false;
  private dead = false;
  private rawLines = false;

  private state: 'line' | 'discard-line' | 'literal' = 'line';
  private lineParts: Buffer[] = [];
  private lineLen = 0;
  /** Last bytes of a line being discarded, to see whether it announced a literal. */
  private tail = '';
  private discardingRaw = false;

  private pieces: CommandPiece[] = [];
  private commandBytes = 0;
  private literalCount = 0;
  private tag: string | null = null;
  private command: string | null = null;
  private uid = false;
  /** The command failed and was reported; its remaining lines and literals are consumed unseen. */
  private poisoned = false;

  private litRemaining = 0;
  private litSize = 0;
  private litChunks: Buffer[] = [];
  private litDiscard = false;
  private litBinary = false;
  private litSync = true;

  constructor(options: CommandReaderOptions, handlers: CommandReaderHandlers) {
    this.options = { ...options };
    this.limits = resolveLimits(this.options);
    this.handlers = handlers;
  }

  /** Changes limits for what follows (e.g. a larger literal limit after login). */
  configure(options: CommandReaderOptions): void {
    this.options = { ...this.options, ...options };
    this.limits = resolveLimits(this.options);
  }

  /** Feeds bytes from the socket. Returns false when the caller should stop reading until onDrain. */
  push(chunk: Buffer): boolean {
    if (this.dead) return false;
    if (chunk.length > 0) {
      this.queue.push(chunk);
      this.pending += chunk.length;
      this.run();
    }
    if (this.dead) return false;
    if (this.pending > this.limits.maxPendingBytes) {
      this.fatal({
        kind: 'input-overflow',
        tag: null,
        status: 'BAD',
        code: null,
        text: 'Too much input sent without waiting for responses',
        raw: false,
      });
      return false;
    }
    if (this.pending >= this.limits.highWaterMark) {
      this.overHighWater = true;
      return false;
    }
    return true;
  }

  /** Reads the next command (leaving raw-line mode). */
  resume(): void {
    this.rawLines = false;
    this.paused = false;
    this.run();
  }

  /** Reads exactly one raw line and delivers it to onLine (AUTHENTICATE continuations, IDLE's DONE). */
  readLine(): void {
    this.rawLines = true;
    this.paused = false;
    this.run();
  }

  pause(): void {
    this.paused = true;
  }

  /**
   * Removes and returns the input received but not yet processed. Meant for the moment right after STARTTLS
   * or COMPRESS, when the reader is paused between commands.
   */
  takeBuffered(): Buffer {
    const rest = this.queue.length === 0 ? Buffer.alloc(0) : Buffer.concat(this.queue).subarray(this.head);
    this.queue = [];
    this.head = 0;
    this.pending = 0;
    // What follows is a new stream (TLS, deflate): start it at a clean command boundary.
    this.state = 'line';
    this.lineParts = [];
    this.lineLen = 0;
    this.litChunks = [];
    this.resetCommand();
    this.checkDrain();
    return rest;
  }

  /** Drops all state; nothing is delivered afterwards. */
  close(): void {
    this.dead = true;
    this.queue = [];
    this.pending = 0;
    this.lineParts = [];
    this.pieces = [];
    this.litChunks = [];
  }

  get isPaused(): boolean {
    return this.paused;
  }

  get isClosed(): boolean {
    return this.dead;
  }

  /** Input received and not yet processed. */
  get bufferedBytes(): number {
    return this.pending;
  }

  // -------------------------------------------------------------------------------------------------------------

  private run(): void {
    if (this.running) return;
    this.running = true;
    try {
      while (!this.dead && this.queue.length > 0) {
        // Throwing away the rest of a failed line or command needs no decision, so it goes on while paused
        // and paused input cannot pile up behind it.
        if (this.paused && this.state !== 'discard-line' && !this.poisoned) break;
        this.step();
      }
    } finally {
      this.running = false;
    }
    this.checkDrain();
  }

  private checkDrain(): void {
    if (this.overHighWater && !this.dead && this.pending < this.limits.highWaterMark) {
      this.overHighWater = false;
      this.handlers.onDrain?.();
    }
  }

  private consume(n: number): void {
    this.head += n;
    this.pending -= n;
    const first = this.queue[0];
    if (first !== undefined && this.head >= first.length) {
      this.queue.shift();
      this.head = 0;
    }
  }

  private step(): void {
    const chunk = this.queue[0];
    if (chunk === undefined) return;
    const off = this.head;
    if (this.state === 'literal') {
      const take = Math.min(this.litRemaining, chunk.length - off);
      if (!this.litDiscard) this.litChunks.push(chunk.subarray(off, off + take));
      this.litRemaining -= take;
      this.consume(take);
      if (this.litRemaining === 0) this.endLiteral();
      return;
    }
    const lf = chunk.indexOf(LF, off);
    const end = lf < 0 ? chunk.length : lf;
    if (this.state === 'discard-line') {
      const from = Math.max(off, end - TAIL);
      this.tail = (this.tail + chunk.toString('latin1', from, end)).slice(-TAIL);
      this.consume(end - off + (lf < 0 ? 0 : 1));
      if (lf >= 0) this.endDiscardedLine();
      return;
    }
    // A CR may end the data seen so far without its LF yet, hence the + 1 while the line is open.
    if (this.lineLen + (end - off) > this.limits.maxLineBytes + 1) {
      this.lineTooLong(chunk.subarray(off, end));
      return;
    }
    if (end > off) {
      this.lineParts.push(chunk.subarray(off, end));
      this.lineLen += end - off;
    }
    this.consume(end - off + (lf < 0 ? 0 : 1));
    if (lf < 0) return;
    let line = this.lineParts.length === 1 ? (this.lineParts[0] ?? Buffer.alloc(0)) : Buffer.concat(this.lineParts);
    this.lineParts = [];
    this.lineLen = 0;
    if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
    if (line.length > this.limits.maxLineBytes) {
      this.tail = line.toString('latin1', Math.max(0, line.length - TAIL));
      this.startDiscard(line.subarray(0, 512));
      this.endDiscardedLine();
      return;
    }
    // Copy so the line does not pin the socket's (possibly much larger) chunk in memory.
    line = Buffer.from(line);
    if (this.rawLines && !this.poisoned) this.deliverLine(line);
    else this.commandLine(line);
  }

  private lineTooLong(segment: Buffer): void {
    const head = this.lineParts.length > 0 ? Buffer.concat([...this.lineParts, segment.subarray(0, 512)]) : segment;
    this.tail = '';
    this.lineParts = [];
    this.lineLen = 0;
    this.startDiscard(head.subarray(0, 512));
  }

  /** Starts throwing away an over-long line and reports it. */
  private startDiscard(head: Buffer): void {
    this.state = 'discard-line';
    this.discardingRaw = this.rawLines;
    const limit = this.limits.maxLineBytes;
    if (this.rawLines) {
      this.emitError({ kind: 'line-too-long', tag: null, status: 'BAD', code: null, text: `Line longer than ${limit} bytes`, raw: true });
      return;
    }
    if (this.poisoned) return;
    const tag = this.pieces.length === 0 && this.commandBytes === 0 ? headOf(head).tag : this.tag;
    this.poisoned = true;
    this.pieces = [];
    this.emitError({ kind: 'line-too-long', tag, status: 'BAD', code: null, text: `Command line longer than ${limit} bytes`, raw: false });
  }

  private endDiscardedLine(): void {
    this.state = 'line';
    const tail = this.tail.endsWith('\r') ? this.tail.slice(0, -1) : this.tail;
    this.tail = '';
    if (this.discardingRaw) {
      this.discardingRaw = false;
      return;
    }
    // The client may go on sending the rest of the command after a non-synchronizing literal; that literal
    // must not be taken for a new command.
    this.continuePoisoned(markerAt(tail, false));
  }

  private continuePoisoned(marker: Marker | null): void {
    if (marker !== null && !marker.sync) {
      if (marker.size > this.limits.maxLiteralBytes) {
        this.fatalLiteral();
        return;
      }
      this.startLiteral(marker, true);
      return;
    }
    // No literal follows, or a synchronizing one the client will not send after our error: the command is over.
    this.resetCommand();
  }

  private deliverLine(line: Buffer): void {
    this.paused = true;
    this.handlers.onLine(line);
  }

  private commandLine(line: Buffer): void {
    if (this.poisoned) {
      this.continuePoisoned(markerAt(line.toString('latin1'), true));
      return;
    }
    const first = this.pieces.length === 0;
    // Empty lines between commands are harmless; some clients send an extra CRLF after a literal.
    if (first && line.length === 0) return;
    if (first) {
      const h = headOf(line);
      this.tag = h.tag;
      this.command = h.command;
      this.uid = h.uid;
    }
    this.commandBytes += line.length + 2;
    const marker = line[line.length - 1] === 0x7d ? markerAt(line.toString('latin1'), true) : null;
    this.pieces.push({ type: 'text', data: line });
    const lim = this.limits;
    if (this.commandBytes > lim.maxCommandBytes) {
      this.failCommand(marker, {
        kind: 'command-too-large',
        tag: this.tag,
        status: 'BAD',
        code: 'TOOBIG',
        text: `Command larger than ${lim.maxCommandBytes} bytes`,
        raw: false,
      });
      return;
    }
    if (marker === null) {
      this.emitCommand();
      return;
    }
    let err: FrameError | null = null;
    if (marker.size > lim.maxLiteralBytes) {
      err = { kind: 'literal-too-large', tag: this.tag, status: 'NO', code: 'TOOBIG', text: `Literal larger than ${lim.maxLiteralBytes} bytes`, raw: false };
    } else if (!marker.sync && lim.literalMinus && marker.size > LITERAL_MINUS_MAX) {
      err = {
        kind: 'literal-too-large',
        tag: this.tag,
        status: 'BAD',
        code: 'TOOBIG',
        text: `Non-synchronizing literal larger than ${LITERAL_MINUS_MAX} bytes (LITERAL-)`,
        raw: false,
      };
    } else if (this.commandBytes + marker.size > lim.maxCommandBytes) {
      err = { kind: 'command-too-large', tag: this.tag, status: 'NO', code: 'TOOBIG', text: `Command larger than ${lim.maxCommandBytes} bytes`, raw: false };
    } else if (this.literalCount >= lim.maxLiterals) {
      err = { kind: 'too-many-literals', tag: this.tag, status: 'BAD', code: null, text: `More than ${lim.maxLiterals} literals in one command`, raw: false };
    }
    if (err !== null) {
      // Refusing a non-synchronizing literal is not possible, only discarding it.
      if (!marker.sync && err.status === 'NO') err = { ...err, status: 'BAD' };
      this.failCommand(marker, err);
      return;
    }
    if (marker.sync) {
      const accepted = this.handlers.onLiteral({
        tag: this.tag,
        command: this.command,
        uid: this.uid,
        size: marker.size,
        binary: marker.binary,
        commandBytes: this.commandBytes,
      });
      if (this.dead) return;
      if (!accepted) {
        this.resetCommand();
        return;
      }
    }
    this.startLiteral(marker, false);
  }

  /** Reports a failed command; a non-synchronizing literal it announced is still read, and dropped. */
  private failCommand(marker: Marker | null, err: FrameError): void {
    if (marker !== null && !marker.sync && marker.size > this.limits.maxLiteralBytes) {
      this.fatalLiteral();
      return;
    }
    this.poisoned = true;
    this.pieces = [];
    this.continuePoisoned(marker);
    this.emitError(err);
  }

  private startLiteral(marker: Marker, discard: boolean): void {
    this.state = 'literal';
    this.litSize = marker.size;
    this.litRemaining = marker.size;
    this.litDiscard = discard;
    this.litBinary = marker.binary;
    this.litSync = marker.sync;
    this.litChunks = [];
    if (marker.size === 0) this.endLiteral();
  }

  private endLiteral(): void {
    this.state = 'line';
    if (!this.litDiscard) {
      // One copy of the whole literal; the slices pointed into socket chunks.
      const data = Buffer.concat(this.litChunks, this.litSize);
      this.pieces.push({ type: 'literal', data, binary: this.litBinary, sync: this.litSync });
      this.literalCount++;
      this.commandBytes += this.litSize;
    }
    this.litChunks = [];
  }

  private resetCommand(): void {
    this.pieces = [];
    this.commandBytes = 0;
    this.literalCount = 0;
    this.tag = null;
    this.command = null;
    this.uid = false;
    this.poisoned = false;
  }

  private emitCommand(): void {
    const cmd: FramedCommand = { tag: this.tag, pieces: this.pieces, bytes: this.commandBytes };
    this.resetCommand();
    this.paused = true;
    this.handlers.onCommand(cmd);
  }

  private emitError(err: FrameError): void {
    this.paused = true;
    this.handlers.onError(err);
  }

  private fatalLiteral(): void {
    this.fatal({
      kind: 'literal-too-large',
      tag: this.tag,
      status: 'BAD',
      code: 'TOOBIG',
      text: `Non-synchronizing literal larger than ${this.limits.maxLiteralBytes} bytes`,
      raw: false,
    });
  }

  private fatal(err: FrameError): void {
    this.close();
    this.handlers.onFatal(err);
  }
}

// ---------------------------------------------------------------------------------------------------------------

export type FrameEvent =
  | { type: 'command'; command: FramedCommand }
  | { type: 'error'; error: FrameError }
  | { type: 'fatal'; error: FrameError };

/**
 * Frames everything in `input` at once, accepting every synchronizing literal the limits allow. For tests,
 * tools and replaying captured sessions; a server uses CommandReader directly.
 */
export function frameCommands(input: Buffer | string | ReadonlyArray<Buffer | string>, options: CommandReaderOptions = {}): FrameEvent[] {
  const events: FrameEvent[] = [];
  const reader: CommandReader = new CommandReader(options, {
    onCommand(command) {
      events.push({ type: 'command', command });
      reader.resume();
    },
    onLiteral() {
      return true;
    },
    onLine() {
      reader.resume();
    },
    onError(error) {
      events.push({ type: 'error', error });
      reader.resume();
    },
    onFatal(error) {
      events.push({ type: 'fatal', error });
    },
  });
  const chunks = typeof input === 'string' || Buffer.isBuffer(input) ? [input] : input;
  for (const c of chunks) reader.push(typeof c === 'string' ? Buffer.from(c, 'utf8') : c);
  return events;
}
