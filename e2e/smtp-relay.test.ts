import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { startDnsServer, type TestDnsServer } from './dns-server.ts';
import { runCli, startWithUser, type Mailwerk } from './harness.ts';
import { startSink, type SmtpSink } from './smtp-sink.ts';

type SmtpFailure = Error & { responseCode?: number; response?: string; rejectedErrors?: Array<{ responseCode?: number; response?: string }> };

/**
 * Mail passing through: relay domains for customers' own servers (recipients from a list or checked by
 * callout), and aliases forwarding elsewhere with SRS, bounces to SRS addresses included.
 */
describe('filtering relay and forwarding', () => {
  let mw: Mailwerk;
  let dns: TestDnsServer;
  let customer: SmtpSink;
  let mx: SmtpSink;

  before(async () => {
    customer = await startSink({ refuse: new Map([['ghost@callout.test', { code: 550, text: '5.1.1 no such mailbox' }]]) });
    mx = await startSink();
    dns = await startDnsServer({
      'remote.test': { MX: [{ exchange: 'mx.remote.test', priority: 10 }] },
      'origin.test': { MX: [{ exchange: 'mx.remote.test', priority: 10 }] },
      'mx.remote.test': { A: ['127.0.0.1'] },
    });
    mw = await startWithUser('keeper@example.test', 'keeper-password-1', { MAILWERK_DNS: dns.address, MAILWERK_QUEUE_MX_PORT: String(mx.port) });
    const added = [
      await mw.cli(['domain', 'add', 'listed.test', '--relay-to', `127.0.0.1:${customer.port}`, '--recipients', 'ann@listed.test,ben@listed.test']),
      await mw.cli(['domain', 'add', 'callout.test', '--relay-to', `127.0.0.1:${customer.port}`, '--require-tls']),
      await mw.cli(['alias', 'add', 'fwd@example.test', 'someone@remote.test', 'keeper@example.test']),
    ];
    for (const r of added) assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await mw?.cleanup();
    await customer?.close();
    await mx?.close();
    await dns?.close();
  });

  const inbound = () => nodemailer.createTransport({ host: '127.0.0.1', port: mw.ports.smtp!, secure: false, tls: { rejectUnauthorized: false }, name: 'mx.origin.test' });

  it('lists relay domains with their next hop', async () => {
    const listed = await mw.cli(['domain', 'list']);
    assert.match(listed.stdout, new RegExp(`^listed\\.test\\trelay to 127\\.0\\.0\\.1:${customer.port}\\t2 listed recipients$`, 'm'));
    assert.match(listed.stdout, /^callout\.test\trelay to .* \(TLS required\)\trecipients checked by callout$/m);
    const refused = await mw.cli(['user', 'add', 'x@listed.test', '--password', 'whatever-123']);
    assert.notEqual(refused.code, 0, 'a relay domain has no mailboxes here');
  });

  it('relays mail for listed recipients to the next hop and refuses others at RCPT', async () => {
    await inbound().sendMail({ envelope: { from: 'sender@origin.test', to: ['ann@listed.test'] }, from: 'sender@origin.test', to: 'ann@listed.test', subject: 'For the customer', text: 'hello' });
    await assert.rejects(
      inbound().sendMail({ envelope: { from: 'sender@origin.test', to: ['zed@listed.test'] }, from: 'sender@origin.test', to: 'zed@listed.test', subject: 'x', text: 'x' }),
      (e: SmtpFailure) => /^550 5\.1\.1 No such user: <zed@listed\.test> is not a known recipient/.test(e.rejectedErrors?.[0]?.response ?? e.response ?? ''),
    );
    const [relayed] = await customer.waitFor(1);
    assert.equal(relayed!.from, 'sender@origin.test', 'the envelope sender is kept for a relay domain');
    assert.deepEqual(relayed!.to, ['ann@listed.test']);
    assert.match(relayed!.raw.toString(), /Subject: For the customer/);
    assert.match(relayed!.raw.toString(), /^Received: from mx\.origin\.test/);
  });

  it('checks recipients of a callout domain with the customer’s server, over TLS when required', async () => {
    await assert.rejects(
      inbound().sendMail({ envelope: { from: 'sender@origin.test', to: ['ghost@callout.test'] }, from: 'sender@origin.test', to: 'ghost@callout.test', subject: 'x', text: 'x' }),
      (e: SmtpFailure) => /^550 5\.1\.1 No such user: the mail server of this domain does not know <ghost@callout\.test>/.test(e.rejectedErrors?.[0]?.response ?? e.response ?? ''),
    );
    const before = customer.messages.length;
    await inbound().sendMail({ envelope: { from: 'sender@origin.test', to: ['real@callout.test'] }, from: 'sender@origin.test', to: 'real@callout.test', subject: 'Checked first', text: 'x' });
    const messages = await customer.waitFor(before + 1);
    const relayed = messages.at(-1)!;
    assert.deepEqual(relayed.to, ['real@callout.test']);
    assert.ok(relayed.secure, 'TLS is required for this next hop');
  });

  it('forwards with an SRS sender, keeps the local copy, and returns bounces to the original sender', async () => {
    await inbound().sendMail({ envelope: { from: 'writer@origin.test', to: ['fwd@example.test'] }, from: 'writer@origin.test', to: 'fwd@example.test', subject: 'Pass it on', text: 'x' });
    const [forwarded] = await mx.waitFor(1);
    assert.deepEqual(forwarded!.to, ['someone@remote.test']);
    assert.match(forwarded!.from, /^SRS0=[^=]{4}=[A-Z2-7]{2}=origin\.test=writer@example\.test$/);
    const imap = new ImapFlow({ host: '127.0.0.1', port: mw.ports.imaps!, secure: true, tls: { ca: [mw.ca], servername: 'localhost' }, auth: { user: 'keeper@example.test', pass: 'keeper-password-1' }, logger: false });
    await imap.connect();
    assert.equal((await imap.status('INBOX', { messages: true }) as { messages?: number }).messages, 1, 'the alias also delivers to a local account');
    await imap.logout();

    // The remote bounces to the SRS address; we pass the bounce back to the original sender, still from <>.
    await inbound().sendMail({ envelope: { from: '', to: [forwarded!.from] }, from: 'MAILER-DAEMON@remote.test', to: forwarded!.from, subject: 'Undelivered', text: 'bounce' } as never);
    const messages = await mx.waitFor(2);
    const bounce = messages.at(-1)!;
    assert.deepEqual(bounce.to, ['writer@origin.test']);
    assert.equal(bounce.from, '');

    // A forged SRS address (wrong hash) is no way to make us bounce mail to anyone.
    const forged = forwarded!.from.replace(/^SRS0=[^=]{4}=/, 'SRS0=AAAA=');
    await assert.rejects(
      inbound().sendMail({ envelope: { from: '', to: [forged] }, from: 'x@remote.test', to: forged, subject: 'x', text: 'x' } as never),
      (e: SmtpFailure) => /^550 5\.1\.1 /.test(e.rejectedErrors?.[0]?.response ?? e.response ?? ''),
    );
  });
});

/** MAILWERK_RELAY_NETWORKS: listed client networks may relay anywhere without AUTH; nobody else may. */
describe('relay networks', () => {
  let mw: Mailwerk;
  let dns: TestDnsServer;
  let mx: SmtpSink;

  before(async () => {
    mx = await startSink();
    dns = await startDnsServer({ 'remote.test': { MX: [{ exchange: 'mx.remote.test', priority: 10 }] }, 'mx.remote.test': { A: ['127.0.0.1'] } });
    mw = await startWithUser('keeper@example.test', 'keeper-password-1', { MAILWERK_DNS: dns.address, MAILWERK_QUEUE_MX_PORT: String(mx.port), MAILWERK_RELAY_NETWORKS: '192.0.2.0/24, 127.0.0.1/32' });
  });
  after(async () => {
    await mw?.cleanup();
    await mx?.close();
    await dns?.close();
  });

  it('relays mail from a listed network to a remote domain through the queue', async () => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: mw.ports.smtp!, secure: false, tls: { rejectUnauthorized: false }, name: 'printer.office.example' });
    const info = await transport.sendMail({ envelope: { from: 'printer@office.example', to: ['someone@remote.test'] }, from: 'printer@office.example', to: 'someone@remote.test', subject: 'Scan', text: 'x' });
    assert.match(info.response, /^250 2\.0\.0 Accepted, id \w+, queued as \w+/);
    const [relayed] = await mx.waitFor(1);
    assert.equal(relayed!.from, 'printer@office.example');
    assert.deepEqual(relayed!.to, ['someone@remote.test']);
  });

  it('refuses a configuration that is not a list of networks, naming the variable', async () => {
    const checked = await mw.cli(['config', 'check']);
    assert.equal(checked.code, 0, checked.stderr);
    const bad = await runCli({ ...mw.env, MAILWERK_RELAY_NETWORKS: '10.0.0.0/99' }, ['config', 'check']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /MAILWERK_RELAY_NETWORKS/);
  });
});
