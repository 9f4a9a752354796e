import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { startWithUser, type Mailwerk } from './harness.ts';

const run = promisify(execFile);
const CLIENTS = resolve(import.meta.dirname, 'clients');

/** Real IMAP clients from Python's standard library and Debian: imaplib, curl, mbsync. */
describe('IMAP with independent clients', () => {
  let mw: Mailwerk;
  const user = 'jane@example.test';
  const password = 'jane-password-1';

  before(async () => {
    mw = await startWithUser(user, password);
  });
  after(async () => mw.cleanup());

  it('Python imaplib: STARTTLS and implicit TLS, list, append, select, search, fetch, store, copy, expunge, sort', async () => {
    const { stdout } = await run('python3', [join(CLIENTS, 'imaplib_session.py'), '127.0.0.1', String(mw.ports.imap), String(mw.ports.imaps), mw.caPath, user, password]);
    const r = JSON.parse(stdout);
    assert.equal(r.imaps_login, 'OK');
    assert.ok(r.list.some((l: string) => l.includes('\\Junk') && l.includes('Junk')), r.list.join('\n'));
    assert.ok(r.pre_tls_capabilities.includes('STARTTLS'));
    assert.ok(r.pre_tls_capabilities.includes('LOGINDISABLED'));
    assert.match(r.plaintext_login, /^refused/);
    assert.equal(r.starttls_login, 'OK');
    assert.equal(r.append[0], 'OK');
    assert.match(r.append[1], /APPENDUID \d+ 1\]/);
    assert.equal(r.select[0], 'OK');
    assert.equal(r.search_text, '1');
    assert.equal(r.search_from_subject, '1');
    const fetched = JSON.stringify(r.fetch);
    assert.match(fetched, /Subject: Python was here/);
    assert.match(fetched, /\\\\Draft/);
    assert.match(r.fetch_body, /zebrafish and other creatures/);
    assert.equal(r.store[0], 'OK');
    assert.match(r.store[1], /\\Deleted/);
    assert.equal(r.copy, 'OK');
    assert.deepEqual(r.expunge, ['OK', ['1']]);
    assert.match(r.status_archive, /MESSAGES 1/);
    assert.equal(r.sort[0], 'OK');
    assert.equal(r.thread, 'OK');
    assert.match(r.malformed, / BAD /);
    assert.equal(r.after_malformed, 'OK');
  });

  it('curl: lists mailboxes and fetches a message over imaps://, verifying the certificate', async () => {
    const base = `imaps://localhost:${mw.ports.imaps}`;
    const auth = ['--cacert', mw.caPath, '--user', `${user}:${password}`, '--silent', '--show-error'];
    const list = await run('curl', [...auth, `${base}/`]);
    assert.match(list.stdout, /\* LIST \(\\HasNoChildren \\Archive\) "\/" Archive/);
    const fetched = await run('curl', [...auth, `${base}/Archive;UID=1`]);
    assert.match(fetched.stdout, /zebrafish and other creatures/);
    // STARTTLS on the plain port with --ssl-reqd.
    const starttls = await run('curl', [...auth, '--ssl-reqd', `imap://localhost:${mw.ports.imap}/Archive;UID=1;SECTION=HEADER.FIELDS%20(SUBJECT)`]);
    assert.match(starttls.stdout, /Subject: Python was here/);
  });

  it('mbsync (isync): mirrors the mailboxes into a local Maildir', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mbsync-'));
    mkdirSync(join(dir, 'mail'));
    const config = join(dir, 'mbsyncrc');
    writeFileSync(
      config,
      [
        'IMAPAccount mailwerk',
        'Host localhost',
        `Port ${mw.ports.imap}`,
        `User ${user}`,
        `Pass ${password}`,
        'SSLType STARTTLS',
        `CertificateFile ${mw.caPath}`,
        '',
        'IMAPStore remote',
        'Account mailwerk',
        '',
        'MaildirStore local',
        `Path ${dir}/mail/`,
        `Inbox ${dir}/mail/INBOX`,
        'SubFolders Verbatim',
        '',
        'Channel sync',
        'Far :remote:',
        'Near :local:',
        'Patterns *',
        'Create Near',
        'Sync Pull',
        `SyncState *`,
        '',
      ].join('\n'),
    );
    const { stdout, stderr } = await run('mbsync', ['-c', config, '-a'], { env: { ...process.env, HOME: dir } }).catch((e) => {
      throw new Error(`mbsync failed: ${e.stderr || e.message}`);
    });
    void stdout;
    const { stdout: files } = await run('find', [join(dir, 'mail'), '-type', 'f', '-path', '*/cur/*', '-o', '-type', 'f', '-path', '*/new/*']);
    assert.ok(files.split('\n').filter(Boolean).length >= 1, `synced files: ${files} ${stderr}`);
    const { stdout: grep } = await run('grep', ['-rl', 'zebrafish', join(dir, 'mail', 'Archive')]);
    assert.ok(grep.trim().length > 0);
  });
});
