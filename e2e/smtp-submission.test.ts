import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { authenticate } from 'mailauth';
import nodemailer from 'nodemailer';
import { DnsResolver } from '../mailserver/dns/resolver.ts';
import { startDnsServer, type TestDnsServer } from './dns-server.ts';
import { startWithUser, type Mailwerk } from './harness.ts';
import { mailboxSources, waitForMailbox } from './mail-helpers.ts';
import { startSink, type SmtpSink } from './smtp-sink.ts';

/**
 * Authenticated submission with nodemailer as the client and smtp-server as the remote MX, found through
 * a DNS server the test runs: signing, routing, refusals, and bounces that reach the sender.
 */
describe('SMTP submission and the outbound queue', () => {
  let mw: Mailwerk;
  let dns: TestDnsServer;
  let sink: SmtpSink;
  const user = 'alice@example.test';
  const password = 'alice-password-1';

  before(async () => {
    sink = await startSink({ refuse: new Map([['nobody@remote.test', { code: 550, text: '5.1.1 <nobody@remote.test>: no such user here' }]]) });
    dns = await startDnsServer({
      'remote.test': { MX: [{ exchange: 'mx.remote.test', priority: 10 }] },
      'mx.remote.test': { A: ['127.0.0.1'] },
    });
    mw = await startWithUser(user, password, { MAILWERK_DNS: dns.address, MAILWERK_QUEUE_MX_PORT: String(sink.port) });
    await mw.cli(['user', 'add', 'bob@example.test', '--password', 'bob-password-1']);
    await mw.cli(['alias', 'add', 'sales@example.test', user]);
  });
  after(async () => {
    await mw?.cleanup();
    await sink?.close();
    await dns?.close();
  });

  const transport = (auth = { user, pass: password }, port = mw.ports.submission!) =>
    nodemailer.createTransport({ host: '127.0.0.1', port, secure: port === mw.ports.submissions, requireTLS: true, tls: { ca: [mw.ca], servername: 'localhost' }, auth });

  const inbox = (address: string, pass: string) => mailboxSources(mw, address, pass);
  const waitForInbox = (address: string, pass: string, count: number) => waitForMailbox(mw, address, pass, (s) => s.length >= count);

  it('signs and sends remote mail over STARTTLS to the MX, and delivers local recipients directly', async () => {
    const info = await transport().sendMail({
      from: 'Alice <alice@example.test>',
      to: ['carol@remote.test', 'bob@example.test'],
      subject: 'Quarterly figures',
      text: 'The figures are attached in spirit.',
    });
    assert.match(info.response, /^250 2\.0\.0 Queued as [0-9A-Z]+$/);
    const [remote] = await sink.waitFor(1);
    assert.ok(remote!.secure, 'the queue used STARTTLS with a remote that offers it');
    assert.equal(remote!.from, user);
    assert.deepEqual(remote!.to, ['carol@remote.test']);
    assert.equal(remote!.helo, 'localhost');
    const raw = remote!.raw.toString();
    assert.match(raw, /^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed\/relaxed; d=example\.test;/);
    assert.match(raw, /\r\nMessage-ID: </i);
    assert.match(raw, /\r\nReceived: from [^\r]+\r\n\tby localhost \(Mailwerk\) with ESMTPSA/);

    // The signature verifies against the record `mailwerk domain dns` tells the owner to publish.
    const records = await mw.cli(['domain', 'dns', 'example.test']);
    assert.equal(records.code, 0, records.stderr);
    const dkimLine = records.stdout.split('\n').find((l) => l.includes('._domainkey.'))!;
    const [, name, quoted] = /^(\S+)\.\s+IN TXT (.+)$/.exec(dkimLine)!;
    dns.set(name!, 'TXT', [quoted!.replace(/" "/g, '').replace(/"/g, '')]);
    const resolver = new DnsResolver(dns.address);
    const verdict = await authenticate(remote!.raw, { ip: '127.0.0.1', helo: 'localhost', sender: user, mta: 'mx.remote.test', resolver: resolver.resolve as never, disableArc: true, disableBimi: true });
    assert.equal(verdict.dkim.results[0]?.status.result, 'pass', JSON.stringify(verdict.dkim.results[0]?.status));

    const bobs = await waitForInbox('bob@example.test', 'bob-password-1', 1);
    assert.equal(bobs.length, 1);
    assert.match(bobs[0]!, /Subject: Quarterly figures/);
  });

  it('lets a user send as an alias, refuses someone else’s address with 553 5.7.1', async () => {
    await transport().sendMail({ envelope: { from: 'sales@example.test', to: 'bob@example.test' }, from: 'sales@example.test', to: 'bob@example.test', subject: 'as alias', text: 'ok' });
    await assert.rejects(transport().sendMail({ from: 'bob@example.test', to: 'carol@remote.test', subject: 'forged', text: 'x' }), (error: Error & { responseCode?: number; response?: string }) => {
      assert.equal(error.responseCode, 553);
      assert.match(error.response!, /^553 5\.7\.1 You may not send as <bob@example\.test>/);
      return true;
    });
    // A matching envelope does not excuse a forged From header.
    await assert.rejects(
      transport().sendMail({ envelope: { from: user, to: 'carol@remote.test' }, from: 'bob@example.test', to: 'carol@remote.test', subject: 'forged header', text: 'x' }),
      (error: Error & { responseCode?: number; response?: string }) => error.responseCode === 553 && /5\.7\.1/.test(error.response!),
    );
  });

  it('refuses wrong passwords with 535 5.7.8 and mail without AUTH with 530', async () => {
    await assert.rejects(transport({ user, pass: 'wrong-password' }).sendMail({ from: user, to: 'bob@example.test', text: 'x' }), (error: Error & { responseCode?: number; response?: string }) => {
      assert.equal(error.responseCode, 535);
      assert.match(error.response!, /^535 5\.7\.8 /);
      return true;
    });
    const anonymous = nodemailer.createTransport({ host: '127.0.0.1', port: mw.ports.submissions!, secure: true, tls: { ca: [mw.ca], servername: 'localhost' } });
    await assert.rejects(anonymous.sendMail({ from: user, to: 'carol@remote.test', text: 'x' }), (error: Error & { responseCode?: number }) => error.responseCode === 530);
  });

  it('files a copy in Sent only when asked to (the gateway’s header), and strips that header', async () => {
    await transport().sendMail({ from: user, to: 'bob@example.test', subject: 'Keep a copy', text: 'x', headers: { 'X-Mailwerk-Copy-To-Sent': 'yes' } });
    await transport().sendMail({ from: user, to: 'bob@example.test', subject: 'No copy', text: 'x' });
    const c = new ImapFlow({ host: '127.0.0.1', port: mw.ports.imaps!, secure: true, tls: { ca: [mw.ca], servername: 'localhost' }, auth: { user, pass: password }, logger: false });
    await c.connect();
    const lock = await c.getMailboxLock('Sent');
    const sent: Array<{ source: string; flags: Set<string> }> = [];
    try {
      if ((c.mailbox as { exists: number }).exists > 0) for await (const m of c.fetch('1:*', { source: true, flags: true })) sent.push({ source: m.source!.toString(), flags: m.flags! });
    } finally {
      lock.release();
    }
    await c.logout();
    assert.equal(sent.length, 1);
    assert.match(sent[0]!.source, /Subject: Keep a copy/);
    assert.ok(sent[0]!.flags.has('\\Seen'));
    assert.doesNotMatch(sent[0]!.source, /X-Mailwerk-Copy-To-Sent/i);
    const bobs = await inbox('bob@example.test', 'bob-password-1');
    const copy = bobs.find((m) => m.includes('Subject: Keep a copy'))!;
    assert.doesNotMatch(copy, /X-Mailwerk-Copy-To-Sent/i);
  });

  it('honours DSN requests: success reports for local and remote delivery, silence for NOTIFY=NEVER', async () => {
    const before = (await inbox(user, password)).length;
    const dsn = (notify: string[]) => ({ id: `env-${notify.join('-')}`, return: 'headers' as const, notify, recipient: user });
    await transport().sendMail({ from: user, to: 'bob@example.test', subject: 'Tell me it arrived', text: 'x', dsn: dsn(['success']) });
    await transport().sendMail({ from: user, to: 'dora@remote.test', subject: 'Tell me it left', text: 'x', dsn: dsn(['success', 'failure']) });
    await transport().sendMail({ from: user, to: 'nobody@remote.test', subject: 'Do not tell me', text: 'x', dsn: dsn(['never']) });
    const sources = await waitForMailbox(mw, user, password, (s) => s.filter((m) => /Action: (delivered|relayed)/.test(m)).length >= 2);
    const reports = sources.slice(before);
    const delivered = reports.find((m) => /Action: delivered/.test(m))!;
    assert.match(delivered, /Final-Recipient: rfc822; ?bob@example\.test/);
    assert.match(delivered, /Original-Envelope-Id: env-success/);
    assert.match(delivered, /Subject: Tell me it arrived/);
    const relayed = reports.find((m) => /Action: relayed/.test(m))!;
    assert.match(relayed, /Final-Recipient: rfc822; ?dora@remote\.test/);
    assert.match(relayed, /Remote-MTA: dns; ?mx\.remote\.test/);
    // The refusal of nobody@ was asked to stay silent; give the queue a moment to prove it.
    await new Promise((r) => setTimeout(r, 1500));
    const after = (await inbox(user, password)).slice(before);
    assert.equal(after.filter((m) => /Do not tell me/.test(m)).length, 0);
    assert.equal(after.filter((m) => /Action: failed/.test(m)).length, 0);
  });

  it('works on the implicit-TLS port too', async () => {
    const info = await transport(undefined, mw.ports.submissions!).sendMail({ from: user, to: 'bob@example.test', subject: 'over 465', text: 'x' });
    assert.match(info.response, /^250 2\.0\.0 Delivered/);
  });

  it('bounces a remote refusal at once with an RFC 3464 report in the sender’s INBOX', async () => {
    const before = (await inbox(user, password)).length;
    await transport().sendMail({ from: user, to: 'nobody@remote.test', subject: 'To a ghost', text: 'Anyone there?' });
    const sources = await waitForInbox(user, password, before + 1);
    const dsn = sources.at(-1)!;
    assert.match(dsn, /Content-Type: multipart\/report;[^\r]*report-type=delivery-status/i);
    assert.match(dsn, /Final-Recipient: rfc822; ?nobody@remote\.test/i);
    assert.match(dsn, /Action: failed/);
    assert.match(dsn, /Status: 5\.1\.1/);
    assert.match(dsn, /Diagnostic-Code: smtp; ?550 5\.1\.1 <nobody@remote\.test>: no such user here/);
    assert.match(dsn, /Subject: To a ghost/, 'the report carries the original headers');
    const queue = await mw.cli(['queue', 'list']);
    assert.match(queue.stdout, /^0 message\(s\) in the queue/m);
  });
});
