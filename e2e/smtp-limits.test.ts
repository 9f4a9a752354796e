import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { startWithUser, type Mailwerk } from './harness.ts';

/** A plain SMTP dialogue on a socket, collecting everything the server says. */
class Dialogue {
  private text = '';
  closed = false;
  private constructor(private readonly socket: Socket) {
    socket.on('data', (d) => (this.text += d.toString('latin1')));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => {});
  }

  static async open(port: number): Promise<Dialogue> {
    const d = new Dialogue(connect({ port, host: '127.0.0.1' }));
    await d.until(/^220 .*\r\n/m);
    return d;
  }

  async until(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.text)) {
      if (Date.now() > deadline) throw new Error(`no ${pattern} in:\n${this.text}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.text;
  }

  async say(data: string, reply: RegExp): Promise<string> {
    const from = this.text.length;
    this.socket.write(data);
    await this.until(new RegExp(`[\\s\\S]{${from}}[\\s\\S]*${reply.source}`));
    return this.text.slice(from);
  }

  async waitClosed(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(this.closed, 'the server closed the connection');
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Limits with replies a sender can act on: line length, idle time, message size, hostile header names. */
describe('SMTP limits', () => {
  let mw: Mailwerk;
  const user = 'limits@example.test';
  const password = 'limits-password-1';

  before(async () => {
    mw = await startWithUser(user, password, { MAILWERK_SMTP_TIMEOUT: '2s', MAILWERK_SMTP_MAX_LINE_LENGTH: '512', MAILWERK_IMAP_MAX_LITERAL: '2K' });
  });
  after(async () => mw?.cleanup());

  it('greets at once when no greeting delay is configured', async () => {
    // Several connections in a row on an otherwise idle server: each banner must not wait for other I/O.
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      const d = await Dialogue.open(mw.ports.smtp!);
      assert.ok(Date.now() - started < 1000, `banner after ${Date.now() - started} ms`);
      d.close();
      await new Promise((r) => setTimeout(r, 300));
    }
  });

  it('ends a session whose command line is too long with 421', async () => {
    const d = await Dialogue.open(mw.ports.smtp!);
    const reply = await d.say(`EHLO ${'a'.repeat(600)}\r\n`, /421 /);
    assert.match(reply, /^421 4\.\d\.\d .*too long/im);
    await d.waitClosed();
  });

  it('closes an idle session with 421 after the configured timeout', async () => {
    const d = await Dialogue.open(mw.ports.smtp!);
    await d.say('EHLO idle.example\r\n', /250 /);
    const started = Date.now();
    const text = await d.until(/421 [^\r]*\r\n/, 10_000);
    assert.match(text, /421 4\.\d\.\d [^\r]*[Tt]imeout/);
    assert.ok(Date.now() - started >= 1500, 'not before the timeout');
    await d.waitClosed();
  });

  it('refuses a message over the size limit at MAIL (SIZE=) and after DATA with 552', async () => {
    const d = await Dialogue.open(mw.ports.smtp!);
    assert.match(await d.say('EHLO big.example\r\n', /250 /), /250[ -]SIZE 2048\r\n/);
    assert.match(await d.say('MAIL FROM:<a@big.example> SIZE=999999\r\n', /552 /), /^552 5\.3\.4 /m);
    await d.say('MAIL FROM:<a@big.example>\r\n', /250 /);
    await d.say(`RCPT TO:<${user}>\r\n`, /250 /);
    await d.say('DATA\r\n', /354 /);
    const reply = await d.say(`Subject: big\r\n\r\n${'x'.repeat(5000)}\r\n.\r\n`, /552 /);
    assert.match(reply, /^552 5\.3\.4 Message is larger than the 2048-byte limit/m);
    d.close();
  });

  it('keeps headers named __proto__ and constructor as plain headers', async () => {
    const d = await Dialogue.open(mw.ports.smtp!);
    await d.say('EHLO proto.example\r\n', /250 /);
    await d.say('MAIL FROM:<a@proto.example>\r\n', /250 /);
    await d.say(`RCPT TO:<${user}>\r\n`, /250 /);
    await d.say('DATA\r\n', /354 /);
    const reply = await d.say('__proto__: polluted\r\nconstructor: x\r\nSubject: proto\r\n\r\nhi\r\n.\r\n', /250 /);
    assert.match(reply, /^250 2\.0\.0 Delivered/m);
    d.close();
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    const c = new ImapFlow({ host: '127.0.0.1', port: mw.ports.imaps!, secure: true, tls: { ca: [mw.ca], servername: 'localhost' }, auth: { user, pass: password }, logger: false });
    await c.connect();
    const lock = await c.getMailboxLock('INBOX');
    try {
      const message = await c.fetchOne('*', { source: true, envelope: true });
      assert.ok(message);
      assert.equal(message.envelope!.subject, 'proto');
      assert.match(message.source!.toString(), /\r\n__proto__: polluted\r\nconstructor: x\r\n/);
      assert.match(message.source!.toString(), /Authentication-Results: localhost;/);
    } finally {
      lock.release();
    }
    await c.logout();
  });
});

/** The greeting delay (pregreet test): a client that talks before the banner is refused. */
describe('SMTP greeting delay', () => {
  let mw: Mailwerk;
  before(async () => {
    mw = await startWithUser('pause@example.test', 'pause-password-1', { MAILWERK_SMTP_GREETING_DELAY: '800ms' });
  });
  after(async () => mw?.cleanup());

  it('greets after the delay and refuses a client that talked first', async () => {
    const started = Date.now();
    const patient = await Dialogue.open(mw.ports.smtp!);
    assert.ok(Date.now() - started >= 700, 'the banner waited');
    assert.match(await patient.say('EHLO patient.example\r\n', /250 /), /^250[ -]/m);
    patient.close();

    const eager = connect({ port: mw.ports.smtp!, host: '127.0.0.1' });
    let text = '';
    eager.on('data', (d) => (text += d));
    eager.on('error', () => {});
    eager.write('EHLO eager.example\r\n');
    const deadline = Date.now() + 5000;
    while (!/421 /.test(text) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    eager.destroy();
    assert.match(text, /421 .*talk too soon/i);
  });
});
