import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import { startDnsServer, type TestDnsServer } from './dns-server.ts';
import { startMailwerk, type Mailwerk } from './harness.ts';
import { waitForMailbox } from './mail-helpers.ts';

/**
 * Two Mailwerk installations talking through DNS the test serves: mail from a.test, signed and sent by
 * the first, arrives at the second with SPF, DKIM and DMARC checked and recorded in Authentication-Results;
 * a forgery from the same address does not pass, and a forged result header is removed.
 */
describe('sender authentication between two Mailwerk servers', () => {
  let dns: TestDnsServer;
  let sender: Mailwerk;
  let receiver: Mailwerk;

  const run = async (mw: Mailwerk, args: string[]) => {
    const r = await mw.cli(args);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };

  before(async () => {
    dns = await startDnsServer({});
    receiver = await startMailwerk({ MAILWERK_DOMAIN: 'b.test', MAILWERK_HOSTNAME: 'mx.b.test', MAILWERK_DNS: dns.address });
    await run(receiver, ['user', 'add', 'bob@b.test', '--password', 'bob-password-1']);
    sender = await startMailwerk({ MAILWERK_DOMAIN: 'a.test', MAILWERK_HOSTNAME: 'mx.a.test', MAILWERK_DNS: dns.address, MAILWERK_QUEUE_MX_PORT: String(receiver.ports.smtp) });
    await run(sender, ['user', 'add', 'alice@a.test', '--password', 'alice-password-1']);
    dns.set('b.test', 'MX', [{ exchange: 'mx.b.test', priority: 10 }]);
    dns.set('mx.b.test', 'A', ['127.0.0.1']);
    // a.test publishes what `mailwerk domain dns` tells its owner to publish, with 127.0.0.1 as its MX.
    for (const line of (await run(sender, ['domain', 'dns', 'a.test'])).trim().split('\n')) {
      const [, name, type, value] = /^(\S+?)\.\s+IN (MX|TXT) (.+)$/.exec(line)!;
      if (type === 'TXT') dns.set(name!, 'TXT', [value!.replace(/" "/g, '').replace(/^"|"$/g, '')]);
    }
    dns.set('a.test', 'MX', [{ exchange: 'mx.a.test', priority: 10 }]);
    dns.set('mx.a.test', 'A', ['127.0.0.1']);
  });
  after(async () => {
    await sender?.cleanup();
    await receiver?.cleanup();
    await dns?.close();
  });

  const bobsMail = (count: number) => waitForMailbox(receiver, 'bob@b.test', 'bob-password-1', (s) => s.length >= count);

  it('records spf=pass, dkim=pass and dmarc=pass for mail the sender’s server signed', async () => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sender.ports.submissions!, secure: true, tls: { ca: [sender.ca], servername: 'localhost' }, auth: { user: 'alice@a.test', pass: 'alice-password-1' } });
    await transport.sendMail({ from: 'alice@a.test', to: 'bob@b.test', subject: 'Signed and sealed', text: 'Hello Bob.' });
    const [source] = await bobsMail(1);
    const header = source!.slice(0, source!.indexOf('\r\n\r\n'));
    assert.match(header, /^Received: from mx\.a\.test/);
    assert.match(header, /Authentication-Results: mx\.b\.test;/);
    assert.match(header, /\bspf=pass\b[^;]*smtp\.mailfrom=alice@a\.test/);
    assert.match(header, /\bdkim=pass\b[^;]*header\.i=@a\.test/);
    assert.match(header, /\bdmarc=pass\b[^;]*header\.from=a\.test/);
  });

  it('fails a forgery of the same address and strips a forged result header', async () => {
    // Straight to the receiver's MX, unsigned, with a "pass" that claims to come from the receiver.
    dns.set('a.test', 'TXT', ['v=spf1 ip4:192.0.2.1 -all']);
    const direct = nodemailer.createTransport({ host: '127.0.0.1', port: receiver.ports.smtp!, secure: false, tls: { rejectUnauthorized: false } });
    await direct.sendMail({
      envelope: { from: 'alice@a.test', to: 'bob@b.test' },
      headers: { 'Authentication-Results': 'mx.b.test; dkim=pass header.d=a.test; dmarc=pass header.from=a.test' },
      from: 'alice@a.test',
      to: 'bob@b.test',
      subject: 'Forged',
      text: 'Pay this invoice.',
    });
    const sources = await bobsMail(2);
    const forged = sources.find((s) => s.includes('Subject: Forged'))!;
    const header = forged.slice(0, forged.indexOf('\r\n\r\n'));
    assert.match(header, /\bspf=fail\b/);
    assert.match(header, /\bdkim=none\b/);
    assert.match(header, /\bdmarc=fail\b/);
    assert.doesNotMatch(header, /dkim=pass/, 'the forged result header is gone');
  });
});
