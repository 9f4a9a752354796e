/**
 * A deliberately minimal raw-socket IMAP4rev1 client for benchmarking.
 *
 * It does not build a parse tree: the response stream is only split into logical response lines, literals
 * are skipped by their announced length (so a literal whose content looks like "A1 OK ..." cannot end a
 * command early), bytes and lines are counted, and a line is materialised as a string only when the caller
 * asks for it (e.g. the `* SEARCH` line). That keeps client-side cost far below the server's for large
 * responses such as `UID FETCH 1:* (UID FLAGS ENVELOPE)` over 100,000 messages.
 *
 * One command is in flight per connection at a time (no pipelining), which is how the benchmark drives it.
 *
 * TLS: `tls: true` connects with implicit TLS and does NOT verify the certificate (rejectUnauthorized:false).
 * That is acceptable for this loopback benchmark only; never copy this into product code.
 */
import net from 'node:net';
import tls from 'node:tls';

export interface ConnectOptions {
  host: string;
  port: number;
  /** Implicit TLS (IMAPS) without certificate verification - benchmark use only. */
  tls?: boolean;
  connectTimeoutMs?: number;
  /** Default timeout for each command (ms). */
  commandTimeoutMs?: number;
}

export type Status = 'OK' | 'NO' | 'BAD' | 'BYE';

export interface CommandResult {
  tag: string;
  status: Status;
  /** Text of the tagged completion line after the status word (response code included). */
  text: string;
  /** Response bytes received for this command, tagged line included. */
  bytes: number;
  /** Octets that were inside literals. */
  literalBytes: number;
  /** Logical response lines (a line with literals counts once), tagged line included. */
  lines: number;
  /** Untagged responses by kind: "FETCH", "EXISTS", "SEARCH", "OK", "CAPABILITY", ... */
  untagged: Record<string, number>;
  /** Full text of the untagged lines the caller asked to collect (literal content inline). */
  collected: string[];
  /** Milliseconds from the first byte written to the tagged completion. */
  ms: number;
}

export interface CommandOptions {
  /** Collect untagged responses of these kinds (e.g. ["SEARCH", "CAPABILITY", "EXISTS"]). */
  collect?: readonly string[];
  timeoutMs?: number;
}

export class ImapError extends Error {
  constructor(message: string, readonly result?: CommandResult) {
    super(message);
    this.name = 'ImapError';
  }
}

interface Pending {
  tag: string;
  start: number;
  bytes: number;
  literalBytes: number;
  lines: number;
  untagged: Record<string, number>;
  collect: ReadonlySet<string> | undefined;
  collected: string[];
  resolve: (r: CommandResult) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

const CR = 13;
const LF = 10;
const SP = 32;
const EMPTY = Buffer.alloc(0);

/** Quotes an IMAP string (RFC 3501 quoted); rejects what would need a literal. */
export function quote(s: string): string {
  if (/[\r\n\0]/.test(s) || /[^\x01-\x7f]/.test(s)) throw new Error(`cannot send ${JSON.stringify(s)} as a quoted string`);
  return '"' + s.replace(/[\\"]/g, '\\$&') + '"';
}

export class ImapConnection {
  readonly host: string;
  readonly port: number;
  greeting = '';
  capabilities = new Set<string>();
  /** Untagged responses received while no command was pending (e.g. during IDLE). */
  unsolicited = 0;
  closed = false;

  private readonly socket: net.Socket;
  private readonly commandTimeoutMs: number;
  private tagCounter = 0;
  private pending: Pending | undefined;
  private continuationWaiter: ((line: string) => void) | undefined;
  private greetingWaiter: { resolve: (line: string) => void; reject: (e: Error) => void } | undefined;
  private closeError: Error | undefined;

  // Parser state.
  private carry: Buffer[] = [];
  private carryLength = 0;
  private literalRemaining = 0;
  private atLineStart = true;
  private lineKind: 'tagged' | 'untagged' | 'status' | 'continuation' = 'untagged';
  private lineUntaggedKind = '';
  private lineCollect = false;
  private lineParts: Buffer[] = [];
  private firstSegment: Buffer = EMPTY;

  private constructor(socket: net.Socket, opts: ConnectOptions) {
    this.socket = socket;
    this.host = opts.host;
    this.port = opts.port;
    this.commandTimeoutMs = opts.commandTimeoutMs ?? 120_000;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed by server')));
  }

  /** Connects, waits for the greeting (and fails on BYE). */
  static connect(opts: ConnectOptions): Promise<ImapConnection> {
    return new Promise((resolve, reject) => {
      const timeoutMs = opts.connectTimeoutMs ?? 15_000;
      let conn: ImapConnection | undefined;
      let settled = false;
      const done = (err: Error | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) {
          conn?.destroy();
          reject(err);
        } else resolve(conn as ImapConnection);
      };
      const timer = setTimeout(() => {
        done(new Error(`connect/greeting timeout after ${timeoutMs} ms (${opts.host}:${opts.port})`));
        socket.destroy();
      }, timeoutMs);
      const socket = opts.tls
        ? tls.connect({
            host: opts.host,
            port: opts.port,
            // Benchmark only: servers under test use self-signed certificates on loopback.
            rejectUnauthorized: false,
            servername: net.isIP(opts.host) ? undefined : opts.host,
          })
        : net.connect({ host: opts.host, port: opts.port });
      conn = new ImapConnection(socket, opts);
      const c = conn;
      c.greetingWaiter = {
        resolve: (line) => {
          c.greeting = line;
          if (/^\* BYE/i.test(line)) done(new Error(`server refused connection: ${line}`));
          else {
            c.parseCapabilityText(line);
            done(undefined);
          }
        },
        reject: (e) => done(e),
      };
    });
  }

  /** Sends a command (without tag and CRLF) and resolves on its tagged completion, whatever the status. */
  command(text: string, opts: CommandOptions = {}): Promise<CommandResult> {
    return this.start(text, opts, (tagged) => {
      this.socket.write(tagged);
    });
  }

  /** Like command() but rejects unless the status is OK. */
  async ok(text: string, opts: CommandOptions = {}): Promise<CommandResult> {
    const r = await this.command(text, opts);
    if (r.status !== 'OK') throw new ImapError(`${text.split(' ')[0]} failed: ${r.status} ${r.text}`, r);
    return r;
  }

  async login(user: string, password: string): Promise<void> {
    await this.ok(`LOGIN ${quote(user)} ${quote(password)}`);
    // Capabilities usually change after authentication: ask again.
    const r = await this.ok('CAPABILITY', { collect: ['CAPABILITY'] });
    this.capabilities.clear();
    for (const line of r.collected) this.parseCapabilityText(line);
  }

  get hasLiteralPlus(): boolean {
    return this.capabilities.has('LITERAL+');
  }

  /**
   * APPEND one message. Uses a non-synchronizing literal when the server advertises LITERAL+,
   * otherwise a synchronizing literal (waits for the "+" continuation before sending the data).
   */
  append(mailbox: string, message: Buffer, flags: readonly string[] = [], internalDate?: string, opts: CommandOptions = {}): Promise<CommandResult> {
    const nonSync = this.hasLiteralPlus;
    let prefix = `APPEND ${quote(mailbox)}`;
    if (flags.length) prefix += ` (${flags.join(' ')})`;
    if (internalDate) prefix += ` ${quote(internalDate)}`;
    prefix += ` {${message.length}${nonSync ? '+' : ''}}`;
    return this.start(prefix, opts, (tagged) => {
      if (nonSync) {
        this.socket.cork();
        this.socket.write(tagged);
        this.socket.write(message);
        this.socket.write('\r\n');
        this.socket.uncork();
      } else {
        this.continuationWaiter = () => {
          this.socket.cork();
          this.socket.write(message);
          this.socket.write('\r\n');
          this.socket.uncork();
        };
        this.socket.write(tagged);
      }
    });
  }

  /**
   * Starts IDLE and resolves once the server sent its "+" continuation. The returned promise of the
   * completion is resolved after done() is called.
   */
  idle(timeoutMs = 30_000): Promise<{ completion: Promise<CommandResult> }> {
    return new Promise((resolve, reject) => {
      let continued = false;
      const completion = this.start('IDLE', { timeoutMs: 24 * 3600_000 }, (tagged) => {
        this.continuationWaiter = () => {
          continued = true;
          clearTimeout(timer);
          resolve({ completion });
        };
        this.socket.write(tagged);
      });
      const timer = setTimeout(() => reject(new Error(`IDLE not accepted within ${timeoutMs} ms`)), timeoutMs);
      completion.then(
        (r) => {
          if (!continued) {
            clearTimeout(timer);
            reject(new ImapError(`IDLE refused: ${r.status} ${r.text}`, r));
          }
        },
        (e: Error) => {
          clearTimeout(timer);
          if (!continued) reject(e);
        },
      );
    });
  }

  /** Ends IDLE. */
  done(): void {
    this.socket.write('DONE\r\n');
  }

  /** LOGOUT with a bounded wait, then closes the socket in any case. */
  async logout(timeoutMs = 5_000): Promise<void> {
    if (this.closed) return;
    try {
      await this.command('LOGOUT', { timeoutMs });
    } catch {
      // ignore: closing anyway
    } finally {
      this.destroy();
    }
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }

  // -------------------------------------------------------------------------------------------------------

  private start(text: string, opts: CommandOptions, write: (tagged: string) => void): Promise<CommandResult> {
    if (this.closed) return Promise.reject(this.closeError ?? new Error('connection is closed'));
    if (this.pending) return Promise.reject(new Error('a command is already in progress on this connection'));
    const tag = `B${++this.tagCounter}`;
    return new Promise<CommandResult>((resolve, reject) => {
      const timeoutMs = opts.timeoutMs ?? this.commandTimeoutMs;
      const timer = setTimeout(() => {
        const err = new Error(`timeout after ${timeoutMs} ms waiting for: ${text.slice(0, 60)}`);
        this.pending = undefined;
        this.destroy();
        reject(err);
      }, timeoutMs);
      this.pending = {
        tag,
        start: performance.now(),
        bytes: 0,
        literalBytes: 0,
        lines: 0,
        untagged: {},
        collect: opts.collect ? new Set(opts.collect.map((k) => k.toUpperCase())) : undefined,
        collected: [],
        resolve,
        reject,
        timer,
      };
      write(`${tag} ${text}\r\n`);
    });
  }

  private fail(err: Error): void {
    if (!this.closeError) this.closeError = err;
    this.closed = true;
    const p = this.pending;
    this.pending = undefined;
    if (p) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    const g = this.greetingWaiter;
    this.greetingWaiter = undefined;
    g?.reject(err);
  }

  private parseCapabilityText(line: string): void {
    const m = /\[CAPABILITY ([^\]]*)\]/i.exec(line) ?? /^\* CAPABILITY (.*)$/i.exec(line.trimEnd());
    if (!m) return;
    for (const c of (m[1] as string).trim().split(/\s+/)) this.capabilities.add(c.toUpperCase());
  }

  private onData(chunk: Buffer): void {
    if (this.pending) this.pending.bytes += chunk.length;
    let pos = 0;
    const len = chunk.length;
    while (pos < len) {
      if (this.literalRemaining > 0) {
        const take = Math.min(this.literalRemaining, len - pos);
        if (this.lineCollect) this.lineParts.push(chunk.subarray(pos, pos + take));
        if (this.pending) this.pending.literalBytes += take;
        this.literalRemaining -= take;
        pos += take;
        continue;
      }
      const nl = chunk.indexOf(LF, pos);
      if (nl === -1) {
        this.carry.push(chunk.subarray(pos));
        this.carryLength += len - pos;
        break;
      }
      let segment = chunk.subarray(pos, nl + 1);
      if (this.carryLength > 0) {
        this.carry.push(segment);
        segment = Buffer.concat(this.carry, this.carryLength + segment.length);
        this.carry = [];
        this.carryLength = 0;
      }
      pos = nl + 1;
      this.onSegment(segment);
    }
  }

  /** One physical line (ending in LF) of the response stream, outside literals. */
  private onSegment(segment: Buffer): void {
    if (this.atLineStart) {
      this.firstSegment = segment;
      this.classify(segment);
    }
    if (this.lineCollect) this.lineParts.push(segment);

    // A line that ends in "{n}" CRLF announces a literal of n octets - except status responses, whose
    // resp-text cannot carry literals.
    if (this.lineKind === 'untagged') {
      const literal = trailingLiteral(segment);
      if (literal >= 0) {
        this.literalRemaining = literal;
        this.atLineStart = false;
        return;
      }
    }
    this.atLineStart = true;
    this.onLogicalLine();
  }

  private classify(seg: Buffer): void {
    this.lineCollect = false;
    this.lineParts = [];
    this.lineUntaggedKind = '';
    const c0 = seg[0];
    if (c0 === 0x2a /* * */ && seg[1] === SP) {
      // "* WORD" or "* n WORD"
      let i = 2;
      let j = seg.indexOf(SP, i);
      if (j === -1 || j > 64) j = Math.min(seg.length, 64);
      let word = seg.toString('latin1', i, j);
      if (/^\d+$/.test(word)) {
        i = j + 1;
        let k = seg.indexOf(SP, i);
        if (k === -1 || k > i + 32) k = Math.min(seg.length, i + 32);
        word = seg.toString('latin1', i, k);
      }
      word = word.replace(/[\r\n]+$/, '').toUpperCase();
      this.lineUntaggedKind = word;
      this.lineKind = word === 'OK' || word === 'NO' || word === 'BAD' || word === 'BYE' || word === 'PREAUTH' ? 'status' : 'untagged';
      this.lineCollect = !!this.pending?.collect?.has(word) || (this.greetingWaiter !== undefined);
    } else if (c0 === 0x2b /* + */) {
      this.lineKind = 'continuation';
    } else {
      this.lineKind = 'tagged';
      this.lineCollect = true; // tagged lines are short; keep for the result text
    }
  }

  private onLogicalLine(): void {
    const p = this.pending;
    if (p) p.lines++;
    const full = this.lineCollect ? (this.lineParts.length === 1 ? (this.lineParts[0] as Buffer) : Buffer.concat(this.lineParts)) : undefined;
    this.lineParts = [];

    if (this.greetingWaiter) {
      const g = this.greetingWaiter;
      this.greetingWaiter = undefined;
      g.resolve((full ?? this.firstSegment).toString('latin1').replace(/\r?\n$/, ''));
      return;
    }

    switch (this.lineKind) {
      case 'continuation': {
        const w = this.continuationWaiter;
        this.continuationWaiter = undefined;
        if (w) w(this.firstSegment.toString('latin1'));
        return;
      }
      case 'tagged': {
        const line = (full ?? this.firstSegment).toString('latin1').replace(/\r?\n$/, '');
        const sp = line.indexOf(' ');
        const tag = line.slice(0, sp);
        if (!p || tag !== p.tag) {
          this.unsolicited++;
          return; // stray tagged line: not ours (should not happen)
        }
        const rest = line.slice(sp + 1);
        const sp2 = rest.indexOf(' ');
        const status = (sp2 === -1 ? rest : rest.slice(0, sp2)).toUpperCase() as Status;
        const text = sp2 === -1 ? '' : rest.slice(sp2 + 1);
        clearTimeout(p.timer);
        this.pending = undefined;
        this.continuationWaiter = undefined;
        p.resolve({
          tag: p.tag,
          status,
          text,
          bytes: p.bytes,
          literalBytes: p.literalBytes,
          lines: p.lines,
          untagged: p.untagged,
          collected: p.collected,
          ms: performance.now() - p.start,
        });
        return;
      }
      default: {
        if (!p) {
          this.unsolicited++;
          if (this.lineUntaggedKind === 'BYE') this.closed = true;
          return;
        }
        const kind = this.lineUntaggedKind;
        p.untagged[kind] = (p.untagged[kind] ?? 0) + 1;
        if (full) p.collected.push(full.toString('latin1').replace(/\r?\n$/, ''));
        if (kind === 'CAPABILITY' && full) this.parseCapabilityText(full.toString('latin1'));
      }
    }
  }
}

/** If the segment ends with "{n}" (or "~{n}") before its CRLF, returns n, else -1. */
function trailingLiteral(seg: Buffer): number {
  let end = seg.length - 1; // LF
  if (end >= 0 && seg[end] === LF) end--;
  if (end >= 0 && seg[end] === CR) end--;
  if (end < 2 || seg[end] !== 0x7d /* } */) return -1;
  let i = end - 1;
  if (seg[i] === 0x2b /* + */) i--; // tolerate "{n+}" although servers never send it
  let value = 0;
  let digits = 0;
  while (i >= 0 && (seg[i] as number) >= 0x30 && (seg[i] as number) <= 0x39) {
    digits++;
    if (digits > 12) return -1;
    i--;
  }
  if (digits === 0 || i < 0 || seg[i] !== 0x7b /* { */) return -1;
  for (let k = i + 1; k < i + 1 + digits; k++) value = value * 10 + ((seg[k] as number) - 0x30);
  return value;
}

/** Parses the UIDs/sequence numbers of collected `* SEARCH` lines (ignores a trailing (MODSEQ n)). */
export function parseSearch(lines: readonly string[]): number[] {
  const out: number[] = [];
  for (const line of lines) {
    const m = /^\* SEARCH\b(.*)$/i.exec(line);
    if (!m) continue;
    const body = (m[1] as string).replace(/\(MODSEQ \d+\)/i, '');
    for (const t of body.trim().split(/\s+/)) if (t && /^\d+$/.test(t)) out.push(Number(t));
  }
  return out;
}

/** Parses "* n EXISTS" from collected lines. */
export function parseExists(lines: readonly string[]): number | undefined {
  for (const line of lines) {
    const m = /^\* (\d+) EXISTS/i.exec(line);
    if (m) return Number(m[1]);
  }
  return undefined;
}
