import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startDnsServer, type TestDnsServer } from './dns-server.ts';
import { startWithUser, type Mailwerk } from './harness.ts';
import { submissionTransport } from './mail-helpers.ts';
import { startSink, type SmtpSink } from './smtp-sink.ts';

/** A DANE-EE record (3 1 1): SHA-256 of the certificate's public key. */
function daneEe(certPem: string): { usage: number; selector: number; matchingType: number; certificate: Buffer } {
  const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return { usage: 3, selector: 1, matchingType: 1, certificate: createHash('sha256').update(spki).digest() };
}

/**
 * DANE (RFC 7672) on outbound delivery: DNSSEC-authenticated TLSA records make TLS mandatory and pin the
 * MX certificate (a self-signed one is fine when it matches); unauthenticated TLSA records are ignored.
 */
describe('DANE on outbound delivery', () => {
  let mw: Mailwerk;
  let dns: TestDnsServer;
  let sink: SmtpSink;
  const user = 'alice@example.test';
  const password = 'alice-password-1';

  before(async () => {
    sink = await startSink({ hostname: 'mx.dane.test' });
    const right = daneEe(sink.certPem);
    const wrong = { ...right, certificate: createHash('sha256').update('another key').digest() };
    dns = await startDnsServer({}, { signed: ['dane.test', 'pinned-wrong.test', 'mx.pinned-wrong.test'] });
    const zone: Array<[string, string, typeof right]> = [
      ['dane.test', 'mx.dane.test', right],
      ['pinned-wrong.test', 'mx.pinned-wrong.test', wrong],
      ['unsigned.test', 'mx.unsigned.test', wrong],
      // An unsigned domain whose MX host sits in a signed zone: a forged MX could bring its own TLSA.
      ['insecure-mx.test', 'mx.pinned-wrong.test', wrong],
    ];
    for (const [domain, mx, tlsa] of zone) {
      dns.set(domain, 'MX', [{ exchange: mx, priority: 10 }]);
      dns.set(mx, 'A', ['127.0.0.1']);
      dns.set(`_25._tcp.${mx}`, 'TLSA', [tlsa]);
    }
    mw = await startWithUser(user, password, { MAILWERK_DNS: dns.address, MAILWERK_QUEUE_MX_PORT: String(sink.port) });
  });
  after(async () => {
    await mw?.cleanup();
    await sink?.close();
    await dns?.close();
  });

  const send = (to: string) => submissionTransport(mw, user, password).sendMail({ from: user, to, subject: `to ${to}`, text: 'x' });

  it('delivers over TLS to an MX whose certificate matches its authenticated TLSA record', async () => {
    await send('ann@dane.test');
    const messages = await sink.waitFor(1);
    assert.deepEqual(messages[0]!.to, ['ann@dane.test']);
    assert.ok(messages[0]!.secure);
    assert.ok(dns.queries.some((q) => q.name === '_25._tcp.mx.dane.test' && q.type === 'TLSA'));
  });

  it('keeps mail queued when the certificate does not match, and never sends it', async () => {
    await send('bob@pinned-wrong.test');
    const deadline = Date.now() + 10_000;
    let listing = '';
    while (Date.now() < deadline) {
      listing = (await mw.cli(['queue', 'list'])).stdout;
      if (/bob@pinned-wrong\.test\tqueued\t[1-9]/.test(listing)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(listing, /bob@pinned-wrong\.test\tqueued\t[1-9]\d* attempts.*does not match its DANE TLSA records/);
    assert.equal(sink.messages.filter((m) => m.to.includes('bob@pinned-wrong.test')).length, 0);
  });

  it('ignores TLSA records that DNSSEC did not authenticate', async () => {
    const before = sink.messages.length;
    await send('cy@unsigned.test');
    const messages = await sink.waitFor(before + 1);
    assert.deepEqual(messages.at(-1)!.to, ['cy@unsigned.test']);
  });

  it('ignores signed TLSA records of an MX host found through an insecure MX lookup', async () => {
    const before = sink.messages.length;
    await send('dee@insecure-mx.test');
    const messages = await sink.waitFor(before + 1);
    assert.deepEqual(messages.at(-1)!.to, ['dee@insecure-mx.test']);
  });
});
