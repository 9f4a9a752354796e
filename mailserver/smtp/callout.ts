import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';

/** What the next hop said about a recipient: it exists, it does not, or it could not be asked. */
export type CalloutVerdict = 'valid' | 'invalid' | 'unknown';

export interface CalloutTarget {
  host: string;
  port: number;
  requireTls: boolean;
}

const VALID_TTL_MS = 60 * 60_000;
const INVALID_TTL_MS = 10 * 60_000;
const TIMEOUT_MS = 15_000;

/** Reads SMTP replies (multi-line aware) from a socket that may be swapped for its TLS upgrade. */
class ReplyReader {
  private buffer = '';
  private waiting: ((reply: string) => void) | null = null;
  private readonly lines: string[] = [];

  attach(socket: Socket | TLSSocket): void {
    socket.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString('latin1');
      let end;
      while ((end = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, end).replace(/\r$/, '');
        this.buffer = this.buffer.slice(end + 1);
        this.lines.push(line);
        // The last line of a reply has a space (or nothing) after the code.
        if (/^\d{3}(?: |$)/.test(line)) this.deliver();
      }
    });
  }

  next(): Promise<string> {
    return new Promise((resolve) => (this.waiting = resolve));
  }

  private deliver(): void {
    const reply = this.lines.splice(0).join('\n');
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.(reply);
  }
}

/**
 * Recipient validation for relay domains by asking the customer's server (an SMTP callout: EHLO, MAIL
 * FROM:<>, RCPT TO, QUIT — no message is sent). Answers are cached so a dictionary attack does not
 * become one against the customer, and the next hop is asked at most once per address and hour.
 */
export class RecipientCallout {
  private readonly cache = new Map<string, { verdict: CalloutVerdict; until: number }>();

  constructor(private readonly heloName: string) {}

  async check(target: CalloutTarget, recipient: string): Promise<CalloutVerdict> {
    const key = `${target.host}:${target.port}\0${recipient.toLowerCase()}`;
    const cached = this.cache.get(key);
    if (cached && cached.until > Date.now()) return cached.verdict;
    const verdict = await this.ask(target, recipient).catch((): CalloutVerdict => 'unknown');
    if (verdict !== 'unknown') {
      if (this.cache.size > 50_000) this.cache.clear();
      this.cache.set(key, { verdict, until: Date.now() + (verdict === 'valid' ? VALID_TTL_MS : INVALID_TTL_MS) });
    }
    return verdict;
  }

  private async ask(target: CalloutTarget, recipient: string): Promise<CalloutVerdict> {
    let socket: Socket | TLSSocket = connectTcp({ host: target.host, port: target.port });
    const timer = setTimeout(() => socket.destroy(new Error('callout timed out')), TIMEOUT_MS);
    const failed = new Promise<never>((_, reject) => socket.once('error', reject));
    failed.catch(() => {});
    const reader = new ReplyReader();
    reader.attach(socket);
    const talk = async (line: string | null): Promise<string> => {
      if (line !== null) socket.write(`${line}\r\n`);
      return Promise.race([reader.next(), failed]);
    };
    try {
      if (!(await talk(null)).startsWith('220')) return 'unknown';
      let ehlo = await talk(`EHLO ${this.heloName}`);
      if (!ehlo.startsWith('250')) return 'unknown';
      if (/^250[ -]STARTTLS\b/im.test(ehlo)) {
        if (!(await talk('STARTTLS')).startsWith('220')) return 'unknown';
        const plain = socket;
        // From here the TLS socket reads the connection; the plain one must not see the ciphertext.
        plain.removeAllListeners('data');
        socket = connectTls({ socket: plain, servername: target.host, rejectUnauthorized: false });
        socket.once('error', () => {});
        reader.attach(socket);
        await new Promise<void>((resolve, reject) => (socket as TLSSocket).once('secureConnect', resolve).once('error', reject));
        ehlo = await talk(`EHLO ${this.heloName}`);
        if (!ehlo.startsWith('250')) return 'unknown';
      } else if (target.requireTls) {
        return 'unknown';
      }
      if (!(await talk('MAIL FROM:<>')).startsWith('250')) return 'unknown';
      const rcpt = await talk(`RCPT TO:<${recipient}>`);
      socket.write('QUIT\r\n');
      if (rcpt.startsWith('25')) return 'valid';
      // 5xx is a definite "no such user"; 4xx (greylisting, busy) tells us nothing.
      return rcpt.startsWith('5') ? 'invalid' : 'unknown';
    } finally {
      clearTimeout(timer);
      socket.end();
      socket.destroy();
    }
  }
}
