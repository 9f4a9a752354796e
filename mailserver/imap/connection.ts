import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { createDeflateRaw, createInflateRaw, constants as zlib } from 'node:zlib';
import type { Logger } from '../log/logger.ts';
import { preAuthCapabilities } from './capabilities.ts';
import { plaintextAllowed } from './commands/auth.ts';
import type { CommandContext, ConnectionControl, ImapServices, SessionState } from './context.ts';
import { dispatch } from './dispatch.ts';
import { utf8Names } from './format.ts';
import { ResponseOutput } from './output.ts';
import { parseCommand } from './protocol/parser.ts';
import { CommandReader, type FrameError, type LiteralRequest } from './protocol/reader.ts';
import type { FramedCommand } from './protocol/types.ts';

/** Literals a client may send before logging in (a LOGIN password, an AUTHENTICATE response). */
const PRE_AUTH_LITERAL_LIMIT = 8 * 1024;
const PRE_AUTH_TIMEOUT_MS = 60_000;

/**
 * One client connection: socket and TLS handling, command framing, and the session it drives.
 * The reader pauses after each command, so commands run strictly one at a time.
 */
export class ImapConnection implements ConnectionControl {
  readonly id = randomBytes(6).toString('base64url');
  private socket: Socket;
  private readonly out: ResponseOutput;
  private readonly reader: CommandReader;
  private readonly session: SessionState;
  private readonly log: Logger;
  private lineWaiter: ((line: string | null) => void) | null = null;
  private inflate: ReturnType<typeof createInflateRaw> | null = null;
  private closed = false;
  private readonly opened = Date.now();
  private readonly closeListeners: Array<() => void> = [];

  constructor(
    socket: Socket,
    secure: boolean,
    private readonly services: ImapServices,
    private readonly secureContext: SecureContext,
  ) {
    this.socket = socket;
    this.log = services.log.child({ conn: this.id, proto: 'imap' });
    this.session = {
      state: 'not-authenticated',
      account: null,
      view: null,
      enabled: new Set(),
      condstore: false,
      secure,
      remoteAddress: socket.remoteAddress ?? 'unknown',
      savedSearch: [],
    };
    this.out = new ResponseOutput(socket);
    this.reader = new CommandReader(
      { maxLiteralBytes: services.config.imap.maxLiteralBytes },
      {
        onCommand: (command) => void this.handle(command),
        onLiteral: (request) => this.allowLiteral(request),
        onLine: (line) => this.deliverLine(line.toString('utf8')),
        onError: (error) => void this.frameError(error),
        onFatal: (error) => this.bye(error.text),
        onDrain: () => this.socket.resume(),
      },
    );
  }

  /** The client's address: the socket's, or the browser's when a trusted proxy named it. */
  get remoteAddress(): string {
    return this.session.remoteAddress;
  }

  start(): void {
    this.log.info('connect', { remote: this.session.remoteAddress, tls: this.session.secure });
    this.attach(this.socket);
    this.setTimeout();
    const caps = preAuthCapabilities(this.session, plaintextAllowed(this.context('*')));
    void this.out.line(`* OK [CAPABILITY ${caps.join(' ')}] Mailwerk IMAP ready`);
    void this.out.flush();
  }

  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  private attach(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.log.debug('socket.error', { error: error.message }));
    socket.on('close', () => this.finish());
    socket.on('timeout', () => this.bye('Autologout: idle for too long'));
  }

  private receive(chunk: Buffer): void {
    if (this.inflate) {
      this.inflate.write(chunk);
      return;
    }
    if (!this.reader.push(chunk)) this.socket.pause();
  }

  private setTimeout(): void {
    const idle = this.services.config.imap.idleTimeoutSeconds * 1000;
    const ms = this.session.account ? idle : Math.min(PRE_AUTH_TIMEOUT_MS, idle);
    this.socket.setTimeout(ms);
  }

  private context(tag: string): CommandContext {
    return { services: this.services, session: this.session, out: this.out, log: this.log, tag, connection: this };
  }

  private allowLiteral(request: LiteralRequest): boolean {
    // Through the output, never the raw socket: after COMPRESS the socket carries deflate data only.
    if (!this.session.account && request.size > PRE_AUTH_LITERAL_LIMIT) {
      void this.out.line(`${request.tag ?? '*'} NO [TOOBIG] Log in before sending large literals`);
      void this.out.flush();
      return false;
    }
    void this.out.line('+ Ready for literal data');
    void this.out.flush();
    return true;
  }

  private async frameError(error: FrameError): Promise<void> {
    await this.out.line(`${error.tag ?? '*'} ${error.status} ${error.code ? `[${error.code}] ` : ''}${error.text}`);
    await this.out.flush();
    // A bad raw line (an over-long AUTHENTICATE response) ends the exchange that waits for it.
    if (error.raw && this.lineWaiter) this.deliverLine(null);
    else this.reader.resume();
  }

  private async handle(framed: FramedCommand): Promise<void> {
    const parsed = parseCommand(framed, { utf8: utf8Names(this.session) });
    if (!parsed.ok) {
      const code = parsed.code ? `[${parsed.code}] ` : '';
      await this.out.line(`${parsed.tag ?? '*'} ${parsed.status} ${code}${parsed.error}`);
      await this.out.flush();
      this.reader.resume();
      return;
    }
    const command = parsed.command;
    const wasAuthenticated = this.session.account !== null;
    try {
      const completion = await dispatch(this.context(command.tag), command);
      if (completion.after) await completion.after();
    } catch (error) {
      const reference = randomBytes(4).toString('hex');
      this.log.error('command.failed', { command: command.name, reference, error: (error as Error).stack ?? String(error) });
      await this.out.line(`${command.tag} NO [SERVERBUG] Internal error (reference ${reference}); the request was not completed`);
      await this.out.flush();
    }
    if (this.session.state === 'logout') {
      this.close();
      return;
    }
    if (!wasAuthenticated && this.session.account) this.setTimeout();
    this.reader.resume();
  }

  private deliverLine(line: string | null): void {
    const waiter = this.lineWaiter;
    this.lineWaiter = null;
    waiter?.(line);
  }

  // ---- ConnectionControl --------------------------------------------------------------------

  readLine(): Promise<string | null> {
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.lineWaiter = resolve;
      this.reader.readLine();
    });
  }

  async continuation(text: string): Promise<void> {
    await this.out.line(`+ ${text}`);
    await this.out.flush();
  }

  onMailboxChange(listener: () => void): () => void {
    const account = this.session.account;
    if (!account) return () => {};
    return this.services.store.watch(account.id, (event) => {
      if (event.mailboxId === this.session.view?.mailbox.id) listener();
    });
  }

  async startTls(): Promise<void> {
    // Anything pipelined after STARTTLS arrived in plaintext and must not be trusted (CVE-2011-0411).
    this.reader.takeBuffered();
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('timeout');
    const secure = new TLSSocket(plain, { isServer: true, secureContext: this.secureContext });
    this.socket = secure;
    this.out.replaceSink(secure);
    secure.on('data', (chunk: Buffer) => this.receive(chunk));
    secure.on('error', (error) => {
      this.log.info('tls.failed', { error: error.message });
      this.close();
    });
    secure.on('timeout', () => this.bye('Autologout: idle for too long'));
    await new Promise<void>((resolve) => secure.once('secure', () => resolve()));
    plain.setTimeout(0);
    this.setTimeout();
    this.session.secure = true;
    this.log.info('starttls', { protocol: secure.getProtocol() ?? 'unknown' });
  }

  startCompression(): void {
    const leftover = this.reader.takeBuffered();
    const deflate = createDeflateRaw({ level: zlib.Z_DEFAULT_COMPRESSION });
    deflate.pipe(this.socket);
    this.out.replaceSink(deflate);
    const inflate = createInflateRaw();
    inflate.on('data', (chunk: Buffer) => {
      if (!this.reader.push(chunk)) this.socket.pause();
    });
    inflate.on('error', () => this.bye('Invalid compressed data'));
    this.inflate = inflate;
    if (leftover.length > 0) inflate.write(leftover);
    this.log.info('compress', { mechanism: 'DEFLATE' });
  }

  // ---- teardown -----------------------------------------------------------------------------

  private bye(text: string): void {
    if (this.closed) return;
    void this.out.line(`* BYE ${text}`);
    void this.out.flush().finally(() => this.close());
  }

  close(): void {
    if (this.closed) return;
    void this.out.flush().finally(() => this.socket.end());
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.reader.close();
    this.deliverLine(null);
    if (this.session.account) this.services.accountLimiter.release(this.session.account.id);
    this.log.info('disconnect', { account: this.session.account?.address ?? null, seconds: Math.round((Date.now() - this.opened) / 1000) });
    for (const listener of this.closeListeners) listener();
    setTimeout(() => this.socket.destroy(), 5000).unref();
  }
}
