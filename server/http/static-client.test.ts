import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createLogger } from '../../mailserver/log/logger.ts';
import { createGateway } from '../app.ts';

describe('serving the built client', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailwerk-client-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Mailwerk</title><script type="module" src="/assets/app-1a2b.js"></script>');
  writeFileSync(join(dir, 'assets', 'app-1a2b.js'), 'console.log("app")');
  // Endpoints nobody listens on: these requests never reach the mail server.
  const nowhere = { host: '127.0.0.1', port: 9, implicitTls: true };
  const gateway = createGateway({ imap: nowhere, smtp: nowhere, log: createLogger('error'), staticDir: dir });
  after(async () => {
    await gateway.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves index.html for the app and its deep links, with the security headers', async () => {
    for (const path of ['/', '/mail/INBOX/42']) {
      const response = await gateway.app.request(path);
      assert.equal(response.status, 200, path);
      assert.match(await response.text(), /<title>Mailwerk<\/title>/);
      assert.match(response.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      assert.equal(response.headers.get('x-frame-options'), 'DENY');
    }
  });

  it('serves hashed assets cacheable for long and keeps /api answers typed', async () => {
    const asset = await gateway.app.request('/assets/app-1a2b.js');
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('cache-control') ?? '', /immutable/);
    // Without a session every API path, known or not, is a typed 401: nothing about the API leaks.
    const api = await gateway.app.request('/api/nothing');
    assert.equal(api.status, 401);
    assert.equal(((await api.json()) as { error: { code: string } }).error.code, 'unauthenticated');
    const unauthenticated = await gateway.app.request('/api/folders');
    assert.equal(unauthenticated.status, 401);
    assert.equal(unauthenticated.headers.get('cache-control'), 'no-store');
  });
});
