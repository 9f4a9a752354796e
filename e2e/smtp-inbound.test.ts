import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { startWithUser, type Mailwerk } from './harness.ts';

const run = promisify(execFile);

/** The inbound MTA with Python's smtplib: delivery to INBOX, and refusals a sender can act on. */
describe('SMTP inbound', () => {
  let mw: Mailwerk;
  const user = 'rcpt@example.test';
  const password = 'rcpt-password-1';

  before(async () => {
    mw = await startWithUser(user, password, { MAILWERK_SMTP_MAX_CONNECTIONS_PER_IP: '3', MAILWERK_SMTP_MAX_ERRORS: '3' });
  });
  after(async () => mw.cleanup());

  it('delivers to a local user over STARTTLS, refuses unknown users and relaying with reasons', async () => {
    const { stdout } = await run('python3', [join(resolve(import.meta.dirname, 'clients'), 'smtplib_inbound.py'), '127.0.0.1', String(mw.ports.smtp), mw.caPath, user]);
    const r = JSON.parse(stdout);
    assert.match(r.ehlo, /STARTTLS/);
    assert.match(r.ehlo, /ENHANCEDSTATUSCODES/);
    assert.doesNotMatch(r.ehlo, /AUTH/);
    // Every reply carries exactly one enhanced status code, whether the library or we wrote it.
    assert.equal(r.rcpt_before_mail[0], 503);
    assert.match(r.rcpt_before_mail[1], /^5\.5\.1 /);
    assert.equal(r.data_reply[0], 250);
    assert.match(r.data_reply[1], /^2\.0\.0 Delivered, id [0-9a-f]+$/);
    assert.deepEqual(Object.keys(r.refused_local), ['nobody@example.test']);
    assert.equal(r.refused_local['nobody@example.test'][0], 550);
    assert.match(r.refused_local['nobody@example.test'][1], /^5\.1\.1 No such user here/);
    assert.equal(r.relay[0], 554);
    assert.match(r.relay[1], /^5\.7\.1 Relaying denied/);
    assert.equal(r.unknown[0], 550);

    const c = new ImapFlow({ host: '127.0.0.1', port: mw.ports.imaps!, secure: true, tls: { ca: [mw.ca], servername: 'localhost' }, auth: { user, pass: password }, logger: false });
    await c.connect();
    const lock = await c.getMailboxLock('INBOX');
    try {
      const messages = [];
      for await (const m of c.fetch('1:*', { source: true, envelope: true })) messages.push(m);
      assert.equal(messages.length, 2);
      assert.match(messages[0]!.source!.toString(), /quinces/);
      const source = messages[1]!.source!.toString();
      assert.match(source, /^Received: from mx\.remote\.example \(\[127\.0\.0\.1\]\)\r\n\tby localhost \(Mailwerk\) with ESMTPS id [0-9a-f]+/);
      assert.match(source, /A message about kumquats\./);
      assert.equal(messages[1]!.envelope!.subject, 'Inbound over SMTP');
    } finally {
      lock.release();
    }
    await c.logout();
  });

  async function smtpSession(): Promise<{ say(line: string, expect: RegExp): Promise<string>; received(): string; close(): void }> {
    const net = await import('node:net');
    const socket = net.connect({ port: mw.ports.smtp!, host: '127.0.0.1' });
    let received = '';
    socket.on('data', (d) => (received += d));
    socket.on('error', () => {});
    const waitFor = async (re: RegExp) => {
      for (let i = 0; i < 100 && !re.test(received); i++) await new Promise((r) => setTimeout(r, 30));
      return received;
    };
    await waitFor(/\r\n/);
    return {
      async say(line, expect) {
        const before = received.length;
        socket.write(line + '\r\n');
        for (let i = 0; i < 100 && !expect.test(received.slice(before)); i++) await new Promise((r) => setTimeout(r, 30));
        return received.slice(before);
      },
      received: () => received,
      close: () => socket.destroy(),
    };
  }

  it('closes a session after too many refused commands, and limits connections per address', async () => {
    const s = await smtpSession();
    await s.say('EHLO probe.example', /250 /);
    await s.say('MAIL FROM:<p@probe.example>', /250 /);
    for (let i = 1; i <= 3; i++) assert.match(await s.say(`RCPT TO:<nobody${i}@example.test>`, /550 /), /550 5\.1\.1/);
    assert.match(await s.say('RCPT TO:<nobody4@example.test>', /421 /), /421 4\.7\.0 Too many refused commands/);
    s.close();
    await new Promise((r) => setTimeout(r, 200));

    const open = [await smtpSession(), await smtpSession(), await smtpSession()];
    for (const o of open) assert.match(o.received(), /^220 /);
    const fourth = await smtpSession();
    assert.match(fourth.received(), /^421 4\.7\.0 Too many connections from your address/);
    for (const o of [...open, fourth]) o.close();
  });

  it('accepts mail for an alias and delivers it to the alias target', async () => {
    assert.equal((await mw.cli(['alias', 'add', 'info@example.test', user])).code, 0);
    const s = await smtpSession();
    await s.say('EHLO sender.example', /250 /);
    await s.say('MAIL FROM:<x@sender.example>', /250 /);
    assert.match(await s.say('RCPT TO:<info@example.test>', /\d{3} /), /250 2\.1\.5/);
    await s.say('DATA', /354 /);
    assert.match(await s.say('Subject: via alias\r\n\r\nhello\r\n.', /\d{3} /), /250 2\.0\.0 Delivered/);
    s.close();
  });

  it('cannot be made to end DATA early with a bare-LF terminator (SMTP smuggling)', async () => {
    const net = await import('node:net');
    const socket = net.connect({ port: mw.ports.smtp!, host: '127.0.0.1' });
    let received = '';
    socket.on('data', (d) => (received += d));
    const waitFor = async (re: RegExp) => {
      for (let i = 0; i < 100 && !re.test(received); i++) await new Promise((r) => setTimeout(r, 50));
      assert.match(received, re);
    };
    await waitFor(/^220 /);
    socket.write('EHLO attacker.example\r\nMAIL FROM:<a@attacker.example>\r\n');
    await waitFor(/250 2\.1\.0/);
    socket.write(`RCPT TO:<${user}>\r\nDATA\r\n`);
    await waitFor(/354 /);
    socket.write(`Subject: outer\r\n\r\nouter body\n.\r\nMAIL FROM:<spoof@victim.example>\r\nRCPT TO:<${user}>\r\nDATA\r\nSubject: smuggled\r\n\r\ninner\r\n.\r\nQUIT\r\n`);
    await waitFor(/221 /);
    socket.destroy();
    // One transaction, one 250 after DATA: the smuggled MAIL FROM was message text, not a command.
    assert.equal(received.match(/250 2\.0\.0 Delivered/g)?.length, 1);
    assert.doesNotMatch(received, /spoof/);
  });
});
