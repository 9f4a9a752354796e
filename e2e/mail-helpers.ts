import { createServer } from 'node:net';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import type { Mailwerk } from './harness.ts';

/** A port nothing listens on (bound, then released): a remote server that is down. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Full sources of every message in a mailbox, read over IMAPS with imapflow. */
export async function mailboxSources(mw: Mailwerk, user: string, pass: string, mailbox = 'INBOX'): Promise<string[]> {
  const c = new ImapFlow({ host: '127.0.0.1', port: mw.ports.imaps!, secure: true, tls: { ca: [mw.ca], servername: 'localhost' }, auth: { user, pass }, logger: false });
  c.on('error', () => {});
  await c.connect();
  const sources: string[] = [];
  const lock = await c.getMailboxLock(mailbox);
  try {
    if ((c.mailbox as { exists: number }).exists > 0) for await (const m of c.fetch('1:*', { source: true })) sources.push(m.source!.toString());
  } finally {
    lock.release();
  }
  await c.logout();
  return sources;
}

/** Poll a mailbox until `done(sources)` holds; fails with what was there after `timeoutMs`. */
export async function waitForMailbox(mw: Mailwerk, user: string, pass: string, done: (sources: string[]) => boolean, timeoutMs = 20_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const sources = await mailboxSources(mw, user, pass);
    if (done(sources)) return sources;
    if (Date.now() > deadline) throw new Error(`mailbox of ${user} never got there; it has ${sources.length} messages`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** nodemailer on the implicit-TLS submission port (or the STARTTLS one), trusting the server's certificate. */
export function submissionTransport(mw: Mailwerk, user: string, pass: string, options: { starttls?: boolean; pool?: boolean } = {}) {
  const port = options.starttls ? mw.ports.submission! : mw.ports.submissions!;
  return nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: !options.starttls,
    requireTLS: true,
    pool: options.pool ?? false,
    tls: { ca: [mw.ca], servername: 'localhost' },
    auth: { user, pass },
  });
}
