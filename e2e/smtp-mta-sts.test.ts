import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { loadOrCreateCertificate } from '../mailserver/tls/certificate.ts';
import { startDnsServer, type TestDnsServer } from './dns-server.ts';
import { startWithUser, type Mailwerk } from './harness.ts';
import { submissionTransport } from './mail-helpers.ts';
import { startSink, type SmtpSink } from './smtp-sink.ts';

/** Policies served at https://mta-sts.DOMAIN/.well-known/mta-sts.txt, by Host header. */
const POLICIES: Record<string, string> = {
  'mta-sts.sts.test': 'version: STSv1\r\nmode: enforce\r\nmx: mx.sts.test\r\nmax_age: 86400\r\n',
  'mta-sts.wrongmx.test': 'version: STSv1\r\nmode: enforce\r\nmx: mx.wrongmx.test\r\nmax_age: 86400\r\n',
  'mta-sts.badcert.test': 'version: STSv1\r\nmode: enforce\r\nmx: mx.badcert.test\r\nmax_age: 86400\r\n',
};

/**
 * MTA-STS (RFC 8461): with an enforced policy, mail goes only to MX hosts the policy names, only over TLS,
 * and only when the certificate is valid for that host; otherwise it waits in the queue instead of
 * falling back to plaintext. The policy is fetched over HTTPS on port 443 (the test runs as root, as CI does).
 */
describe('MTA-STS on outbound delivery', () => {
  let mw: Mailwerk;
  let dns: TestDnsServer;
  let sink: SmtpSink;
  let https: Server;
  let dir: string;
  const user = 'alice@example.test';
  const password = 'alice-password-1';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mailwerk-sts-'));
    const policyCert = await loadOrCreateCertificate({ dataDir: join(dir, 'https'), hostname: 'mta-sts.sts.test' });
    const wrongmx = await loadOrCreateCertificate({ dataDir: join(dir, 'https-all'), hostname: 'mta-sts.wrongmx.test' });
    const badcert = await loadOrCreateCertificate({ dataDir: join(dir, 'https-bad'), hostname: 'mta-sts.badcert.test' });
    https = createServer({
      SNICallback: (name, cb) => {
        const pem = name === 'mta-sts.wrongmx.test' ? wrongmx : name === 'mta-sts.badcert.test' ? badcert : policyCert;
        cb(null, createSecureContext({ key: pem.key, cert: pem.cert }));
      },
      key: policyCert.key,
      cert: policyCert.cert,
    }, (req, res) => {
      const policy = POLICIES[(req.headers.host ?? '').toLowerCase()];
      if (req.url !== '/.well-known/mta-sts.txt' || !policy) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end(policy);
    });
    await new Promise<void>((resolve, reject) => https.once('error', reject).listen(443, '127.0.0.1', resolve));
    sink = await startSink({ hostname: 'mx.sts.test' });
    dns = await startDnsServer({
      'sts.test': { MX: [{ exchange: 'mx.sts.test', priority: 10 }] },
      'wrongmx.test': { MX: [{ exchange: 'mx.elsewhere.test', priority: 10 }] },
      'badcert.test': { MX: [{ exchange: 'mx.badcert.test', priority: 10 }] },
    });
    for (const domain of ['sts.test', 'wrongmx.test', 'badcert.test']) {
      dns.set(`_mta-sts.${domain}`, 'TXT', ['v=STSv1; id=20261128T000000']);
      dns.set(`mta-sts.${domain}`, 'A', ['127.0.0.1']);
    }
    for (const host of ['mx.sts.test', 'mx.elsewhere.test', 'mx.badcert.test']) dns.set(host, 'A', ['127.0.0.1']);
    const bundle = join(dir, 'trusted.pem');
    writeFileSync(bundle, [policyCert.cert, wrongmx.cert, badcert.cert, sink.certPem].join('\n'));
    mw = await startWithUser(user, password, { MAILWERK_DNS: dns.address, MAILWERK_QUEUE_MX_PORT: String(sink.port), NODE_EXTRA_CA_CERTS: bundle });
  });
  after(async () => {
    await mw?.cleanup();
    await sink?.close();
    await dns?.close();
    await new Promise<void>((resolve) => (https ? https.close(() => resolve()) : resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const send = (to: string) => submissionTransport(mw, user, password).sendMail({ from: user, to, subject: `to ${to}`, text: 'x' });

  async function queued(address: string): Promise<string> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const listing = (await mw.cli(['queue', 'list'])).stdout;
      const line = listing.split('\n').find((l) => l.includes(`\t${address}\tqueued\t`) && !/\t0 attempts/.test(l));
      if (line) return line;
      if (Date.now() > deadline) assert.fail(`no attempt recorded for ${address}:\n${listing}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('delivers over verified TLS to an MX the enforced policy names', async () => {
    await send('ann@sts.test');
    const [message] = await sink.waitFor(1);
    assert.deepEqual(message!.to, ['ann@sts.test']);
    assert.ok(message!.secure);
  });

  it('keeps mail queued when the MX is not in the policy', async () => {
    await send('bob@wrongmx.test');
    assert.match(await queued('bob@wrongmx.test'), /4\.7\.5 no MX host of wrongmx\.test is permitted by its MTA-STS policy/);
  });

  it('keeps mail queued when the MX certificate does not match, and never sends it in plaintext', async () => {
    await send('cy@badcert.test');
    assert.match(await queued('cy@badcert.test'), /TLS with mx\.badcert\.test .* failed/);
    assert.equal(sink.messages.filter((m) => m.to.includes('cy@badcert.test')).length, 0);
  });
});
