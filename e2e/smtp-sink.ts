import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { loadOrCreateCertificate } from '../mailserver/tls/certificate.ts';

/** A message as the remote server received it. */
export interface SinkMessage {
  from: string;
  to: string[];
  raw: Buffer;
  /** The transaction ran over TLS (STARTTLS). */
  secure: boolean;
  helo: string;
}

export interface SinkOptions {
  /** Offer STARTTLS (default true). */
  tls?: boolean;
  /** Recipients refused at RCPT with this reply, e.g. `550 5.1.1 no such user`. */
  refuse?: Map<string, { code: number; text: string }>;
  /** Listen on this port (default: a free one). */
  port?: number;
  /** Name in the greeting and the certificate (default mx.remote.test). */
  hostname?: string;
}

export interface SmtpSink {
  port: number;
  /** The sink's self-signed certificate, for clients that are to trust it. */
  certPem: string;
  messages: SinkMessage[];
  /** Resolves once `count` messages have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<SinkMessage[]>;
  close(): Promise<void>;
}

/**
 * A second SMTP server standing in for a remote MX or a customer's server: it records what it is given
 * and can refuse chosen recipients. It is smtp-server, not Mailwerk, so the queue talks to a foreign peer.
 */
export async function startSink(options: SinkOptions = {}): Promise<SmtpSink> {
  const dir = mkdtempSync(join(tmpdir(), 'mailwerk-sink-'));
  const hostname = options.hostname ?? 'mx.remote.test';
  const tls = await loadOrCreateCertificate({ dataDir: dir, hostname });
  const messages: SinkMessage[] = [];
  const waiters: Array<() => void> = [];
  const server = new SMTPServer({
    name: hostname,
    key: tls.key,
    cert: tls.cert,
    authOptional: true,
    disabledCommands: options.tls === false ? ['AUTH', 'STARTTLS'] : ['AUTH'],
    disableReverseLookup: true,
    logger: false,
    onRcptTo(address, _session, callback) {
      const refusal = options.refuse?.get(address.address.toLowerCase());
      if (!refusal) return callback();
      callback(Object.assign(new Error(refusal.text), { responseCode: refusal.code }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
          secure: session.secure,
          helo: session.hostNameAppearsAs,
        });
        for (const wake of waiters.splice(0)) wake();
        callback(null, '2.0.0 Ok: queued here');
      });
    },
  });
  server.on('error', () => {});
  const port = await new Promise<number>((resolve) => {
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve((server.server.address() as { port: number }).port));
  });
  return {
    port,
    certPem: tls.cert,
    messages,
    async waitFor(count, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        if (Date.now() > deadline) throw new Error(`sink got ${messages.length} of ${count} messages`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
      return messages;
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
