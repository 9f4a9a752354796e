import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { createLogger } from '../mailserver/log/logger.ts';
import { startGateway, type RunningGateway } from '../server/start.ts';
import { startWithUser, type Mailwerk } from './harness.ts';
import { GatewayClient } from './gateway-client.ts';

/**
 * Brute force through the webmail: the gateway throttles per browser address and per account, and tells the
 * mail server which browser it acts for, so attackers cannot lock every webmail user out through it.
 */
describe('webmail gateway login throttling', () => {
  let mw: Mailwerk;
  let gateway: RunningGateway;
  const user = 'target@example.test';
  const pass = 'target-password-1';

  before(async () => {
    mw = await startWithUser(user, pass);
    const trust = { servername: 'localhost', ca: mw.ca };
    gateway = await startGateway({
      host: '127.0.0.1',
      port: 0,
      imap: { host: '127.0.0.1', port: mw.ports.imaps!, implicitTls: true, proxySecret: readFileSync(join(mw.dataDir, 'gateway-proxy.secret'), 'utf8').trim(), ...trust },
      smtp: { host: '127.0.0.1', port: mw.ports.submissions!, implicitTls: true, ...trust },
      log: createLogger('error'),
      trustProxy: true,
      throttle: { windowMs: 60_000, lockAfter: 3, baseDelayMs: 10, maxDelayMs: 50 },
    });
  });
  after(async () => {
    await gateway.close();
    await mw.cleanup();
  });

  const loginFrom = (ip: string, address: string, password: string) =>
    new GatewayClient(`http://127.0.0.1:${gateway.port}`).request('POST', '/api/session', { address, password }, { 'x-forwarded-for': ip });

  it('locks an address out after repeated failures, with Retry-After, even for the right password', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await loginFrom('198.51.100.7', `guess${i}@example.test`, 'nope')).status, 401);
    const locked = await loginFrom('198.51.100.7', user, pass);
    assert.equal(locked.status, 429);
    assert.equal(locked.body.error.code, 'throttled');
    assert.ok(Number(locked.headers.get('retry-after')) > 0);
    assert.equal((await loginFrom('198.51.100.8', user, pass)).status, 201, 'another browser is not affected');
  });

  it('locks an account after failures from many addresses', async () => {
    const account = 'victim@example.test';
    for (let i = 0; i < 3; i++) assert.equal((await loginFrom(`192.0.2.${10 + i}`, account, 'nope')).status, 401);
    assert.equal((await loginFrom('192.0.2.99', account, 'nope')).status, 429);
  });

  it('names each browser to the mail server, so failures do not pile up on the gateway address', async () => {
    // The mail server locks an address after 10 failures; through a gateway that did not name its browsers,
    // these 12 would lock 127.0.0.1 and with it every webmail user.
    const attempts = Array.from({ length: 12 }, (_, i) => loginFrom(`203.0.113.${i + 1}`, `nobody${i}@example.test`, 'wrong'));
    for (const response of await Promise.all(attempts)) assert.equal(response.status, 401);
    const direct = new ImapFlow({ host: '127.0.0.1', port: mw.ports.imaps!, secure: true, tls: { ca: [mw.ca], servername: 'localhost' }, auth: { user, pass }, logger: false });
    direct.on('error', () => {});
    await direct.connect();
    await direct.logout();
    assert.equal((await loginFrom('203.0.113.200', user, pass)).status, 201);
  });

  it('ignores an address named in ID without the secret', async () => {
    const forged = new ImapFlow({
      host: '127.0.0.1',
      port: mw.ports.imaps!,
      secure: true,
      tls: { ca: [mw.ca], servername: 'localhost' },
      auth: { user, pass },
      logger: false,
      clientInfo: { 'x-originating-ip': '192.0.2.1', 'x-mailwerk-proxy-secret': 'guessed-secret-guessed-secret-guessed' },
    });
    forged.on('error', () => {});
    await forged.connect();
    await forged.logout();
    const refused = mw.output.split('\n').filter((line) => line.includes('"client.proxy_refused"'));
    assert.equal(refused.length, 1, mw.output.slice(-2000));
    assert.match(refused[0]!, /"remote":"127\.0\.0\.1"/);
  });
});
