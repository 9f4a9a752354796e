import assert from 'node:assert/strict';
import { request } from 'node:https';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../mailserver/log/logger.ts';
import type { MessagePage } from '../shared/index.ts';
import { startGateway, type RunningGateway } from '../server/start.ts';
import { startWithUser, type Mailwerk } from './harness.ts';
import { folderUrl, GatewayClient } from './gateway-client.ts';
import { submissionTransport } from './mail-helpers.ts';

/** A TCP forwarder between gateway and mail server whose connections the test can cut, as a network would. */
class CuttableLink {
  private readonly sockets = new Set<Socket>();
  private server!: Server;
  port = 0;

  constructor(private readonly target: number) {}

  async start(): Promise<void> {
    this.server = createServer((inbound) => {
      const outbound = connect(this.target, '127.0.0.1');
      for (const s of [inbound, outbound]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => this.sockets.delete(s));
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  get open(): number {
    return this.sockets.size / 2;
  }

  cutAll(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  close(): void {
    this.cutAll();
    this.server.close();
  }
}

describe('webmail gateway connections', () => {
  let mw: Mailwerk;
  let link: CuttableLink;
  let gateway: RunningGateway;
  const user = 'roamer@example.test';
  const pass = 'roamer-password-1';

  before(async () => {
    mw = await startWithUser(user, pass, { MAILWERK_HTTP_TLS: 'true' });
    link = new CuttableLink(mw.ports.imaps!);
    await link.start();
    const trust = { servername: 'localhost', ca: mw.ca };
    gateway = await startGateway({
      host: '127.0.0.1',
      port: 0,
      imap: { host: '127.0.0.1', port: link.port, implicitTls: true, ...trust },
      smtp: { host: '127.0.0.1', port: mw.ports.submissions!, implicitTls: true, ...trust },
      log: createLogger('error'),
    });
  });
  after(async () => {
    await gateway.close();
    link.close();
    await mw.cleanup();
  });

  it('reconnects transparently after the IMAP connections drop, and the push stream resumes', async () => {
    const client = new GatewayClient(`http://127.0.0.1:${gateway.port}`);
    assert.equal((await client.login(user, pass)).status, 201);
    const events = await fetch(`http://127.0.0.1:${gateway.port}/api/events`, { headers: { cookie: client.cookie } });
    const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
    let seen = '';
    const waitFor = async (pattern: RegExp, ms: number) => {
      const deadline = Date.now() + ms;
      while (!pattern.test(seen)) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`not seen ${pattern} in ${seen}`);
        const chunk = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), left))]);
        if (chunk && !chunk.done) seen += chunk.value;
      }
    };
    await waitFor(/event: ready/, 10_000);
    assert.equal((await client.get(`${folderUrl('INBOX')}/messages`)).status, 200);
    assert.equal(link.open, 2, 'one command connection and one watching connection');

    link.cutAll();
    await new Promise((r) => setTimeout(r, 100));
    const after = await client.get<MessagePage>(`${folderUrl('INBOX')}/messages`);
    assert.equal(after.status, 200, JSON.stringify(after.body));

    seen = '';
    await waitFor(/event: ready/, 15_000);
    const transport = submissionTransport(mw, user, pass);
    await transport.sendMail({ from: user, to: user, subject: 'After the drop', text: 'still here' });
    transport.close();
    await waitFor(/"subject":"After the drop"/, 5000);
    await reader.cancel();
  });

  it('serves the built-in webmail over HTTPS with a Secure cookie and HSTS when configured', async () => {
    const response = await new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: mw.ports.http, path: '/api/session', method: 'POST', ca: mw.ca, servername: 'localhost', headers: { 'content-type': 'application/json' } },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ address: user, password: pass }));
    });
    assert.equal(response.status, 201);
    const cookie = String(response.headers['set-cookie']);
    assert.match(cookie, /; Secure/);
    assert.match(cookie, /HttpOnly/);
    assert.match(String(response.headers['strict-transport-security']), /max-age=\d+/);
  });
});
