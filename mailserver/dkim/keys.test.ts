import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DkimKeys } from './keys.ts';

describe('DkimKeys', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mailwerk-dkim-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('makes a key once, named after the month, and keeps it across instances', () => {
    const keys = new DkimKeys(dir);
    assert.equal(keys.current('example.org'), null);
    const key = keys.ensure('Example.ORG', new Date('2026-03-15T12:00:00Z'));
    assert.equal(key.domain, 'example.org');
    assert.equal(key.selector, 'mw202603');
    assert.equal(createPrivateKey(key.privateKeyPem).asymmetricKeyDetails?.modulusLength, 2048);
    assert.deepEqual(keys.ensure('example.org', new Date('2027-01-01T00:00:00Z')), key); // no rotation by ensure
    assert.deepEqual(new DkimKeys(dir).ensure('example.org', new Date('2027-01-01T00:00:00Z')), key);
    assert.deepEqual(new DkimKeys(dir).current('example.org'), key);
    assert.deepEqual(readdirSync(join(dir, 'dkim', 'example.org')), ['mw202603.pem']);
  });

  it('keeps the private key readable by its owner only', () => {
    new DkimKeys(dir).ensure('modes.test', new Date('2026-03-01T00:00:00Z'));
    assert.equal(statSync(join(dir, 'dkim', 'modes.test', 'mw202603.pem')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'dkim', 'modes.test')).mode & 0o077, 0);
  });

  it('signs with the newest selector on disk', () => {
    const keys = new DkimKeys(dir);
    const old = keys.ensure('rotated.test', new Date('2026-01-01T00:00:00Z'));
    const newer = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    writeFileSync(join(dir, 'dkim', 'rotated.test', 'mw202612.pem'), newer, { mode: 0o600 });
    assert.equal(keys.current('rotated.test'), old); // cached in this instance
    assert.deepEqual(new DkimKeys(dir).current('rotated.test'), { domain: 'rotated.test', selector: 'mw202612', privateKeyPem: newer });
  });

  it('publishes a DNS record whose key verifies signatures made with the private key', () => {
    const keys = new DkimKeys(dir);
    const key = keys.ensure('dns.test', new Date('2026-05-05T00:00:00Z'));
    const record = keys.dnsRecord(key);
    assert.equal(record.name, 'mw202605._domainkey.dns.test');
    assert.equal(record.type, 'TXT');
    const match = /^v=DKIM1; k=rsa; p=([A-Za-z0-9+/]+=*)$/.exec(record.value);
    assert.ok(match, record.value);
    const publicKey = createPublicKey({ key: Buffer.from(match[1]!, 'base64'), format: 'der', type: 'spki' });
    const data = Buffer.from('from:Jane <jane@dns.test>\r\nsubject:hi\r\n');
    const signature = sign('sha256', data, key.privateKeyPem);
    assert.equal(verify('sha256', data, publicKey, signature), true);
    assert.equal(verify('sha256', Buffer.from('tampered'), publicKey, signature), false);
    // Another domain's key does not verify it.
    const other = keys.ensure('other.test');
    assert.equal(verify('sha256', data, publicKey, sign('sha256', data, other.privateKeyPem)), false);
  });

  it('refuses names that are not plain domain names, and writes nothing for them', () => {
    const keys = new DkimKeys(dir);
    for (const bad of ['../x', 'a/b', '..', '.', 'a..b', '/etc', 'a\\b', '', 'x.test/', '-x.test', 'exa mple.test', 'a\0b']) {
      assert.throws(() => keys.ensure(bad), /not a domain name/, JSON.stringify(bad));
      assert.throws(() => keys.current(bad), /not a domain name/, JSON.stringify(bad));
    }
    assert.equal(existsSync(join(dir, 'x')), false);
    assert.equal(existsSync(join(dir, 'dkim', 'a')), false);
  });
});
