import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { RawImap } from './raw-imap.ts';
import { runCli } from './harness.ts';

const BIN = resolve(import.meta.dirname, '..', 'bin', 'mailwerk.js');

describe('mailwerk CLI and configuration', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mailwerk-cli-'));
  const env = { ...process.env, MAILWERK_DATA: dataDir, MAILWERK_DOMAIN: 'cli.test', MAILWERK_ADMIN_PASSWORD: 'admin-password-1' };
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('stops on a bad setting with one line naming it', async () => {
    for (const [name, value, reason] of [
      ['MAILWERK_IMAP_PORT', '70000', /MAILWERK_IMAP_PORT must be 0\.\.65535/],
      ['MAILWERK_HOSTNAME', 'not a host', /MAILWERK_HOSTNAME must be a DNS host name/],
      ['MAILWERK_STORE', 'mysql://x', /MAILWERK_STORE must be sqlite or a postgres:\/\/ URL/],
      ['MAILWERK_QUOTA', 'lots', /MAILWERK_QUOTA must be a size/],
      ['MAILWERK_RELAY_NETWORKS', '10.0.0.0/8,everyone', /MAILWERK_RELAY_NETWORKS/],
    ] as const) {
      const result = await runCli({ ...env, [name]: value }, ['config', 'check']);
      assert.equal(result.code, 1, `${name}=${value} must fail`);
      assert.match(result.stderr, reason);
      assert.equal(result.stderr.trim().split('\n').length, 1, 'one line');
    }
    const bad = join(dataDir, 'bad.yaml');
    writeFileSync(bad, 'ports:\n  imap: [1, 2\n');
    const yaml = await runCli({ ...env, MAILWERK_CONFIG: bad }, ['config', 'check']);
    assert.equal(yaml.code, 1);
    assert.match(yaml.stderr, /MAILWERK_CONFIG .*not valid YAML/);
    const good = join(dataDir, 'good.yaml');
    writeFileSync(good, 'hostname: mail.cli.test\nports:\n  imap: 1143\n');
    const ok = await runCli({ ...env, MAILWERK_CONFIG: good }, ['config', 'check']);
    assert.equal(ok.code, 0, ok.stderr);
  });

  it('the example configuration file is valid', async () => {
    const result = await runCli({ ...env, MAILWERK_CONFIG: resolve(import.meta.dirname, '..', 'mailwerk.example.yaml') }, ['config', 'check']);
    assert.equal(result.code, 0, result.stderr);
  });

  it('manages domains, users and aliases', async () => {
    assert.equal((await runCli(env, ['domain', 'add', 'cli.test'])).code, 0);
    assert.equal((await runCli(env, ['domain', 'add', 'other.test'])).code, 0);
    assert.match((await runCli(env, ['domain', 'add', 'other.test'])).stderr, /already exists/);
    assert.deepEqual((await runCli(env, ['domain', 'list'])).stdout.trim().split('\n'), ['cli.test\tlocal', 'other.test\tlocal']);

    const added = await runCli(env, ['user', 'add', 'Ann@Other.test', '--password-stdin'], 'ann-password-1\n');
    assert.equal(added.code, 0, added.stderr);
    assert.match((await runCli(env, ['user', 'add', 'x@nowhere.test', '--password', 'password-123'])).stderr, /domain nowhere\.test is not served here/);
    assert.match((await runCli(env, ['user', 'add', 'short@cli.test', '--password', 'short'])).stderr, /at least 8/);
    assert.match((await runCli(env, ['user', 'add', 'ann@other.test', '--password', 'password-123'])).stderr, /already exists/);
    assert.match((await runCli(env, ['user', 'list'])).stdout, /ann@other\.test/);

    assert.equal((await runCli(env, ['alias', 'add', 'info@other.test', 'ann@other.test'])).code, 0);
    assert.match((await runCli(env, ['alias', 'list'])).stdout, /info@other\.test\tann@other\.test/);
    assert.equal((await runCli(env, ['alias', 'del', 'info@other.test'])).code, 0);

    assert.equal((await runCli(env, ['user', 'passwd', 'ann@other.test', '--password', 'new-password-2'])).code, 0);
    const deleted = await runCli(env, ['user', 'del', 'ann@other.test']);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.doesNotMatch((await runCli(env, ['user', 'list'])).stdout, /ann@other\.test/);
    assert.equal((await runCli(env, ['frobnicate'])).code, 2);
  });

  it('generates and prints the postmaster password once on first start, and works while the server runs', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'mailwerk-first-'));
    const startEnv: NodeJS.ProcessEnv = { ...process.env, MAILWERK_DATA: fresh, MAILWERK_DOMAIN: 'first.test', MAILWERK_IMAP_PORT: '0', MAILWERK_IMAPS_PORT: '0', MAILWERK_SMTP_PORT: '0', MAILWERK_SUBMISSION_PORT: '0', MAILWERK_SUBMISSIONS_PORT: '0', MAILWERK_HTTP_PORT: '0', MAILWERK_LOG_LEVEL: 'info' };
    delete startEnv.MAILWERK_ADMIN_PASSWORD;
    const child = spawn(process.execPath, [BIN, 'start'], { env: startEnv });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => (stdout += d));
    try {
      // First start generates a TLS key and a DKIM key; on a loaded machine that takes a while.
      for (let i = 0; i < 600 && !stdout.includes('"ready"'); i++) await sleep(50);
      const password = /password: (\S+)/.exec(stderr)?.[1];
      assert.ok(password, `password printed: ${stderr}`);
      assert.doesNotMatch(stdout, new RegExp(password!), 'the password is not in the structured log');
      const ports = JSON.parse(readFileSync(join(fresh, 'ports.json'), 'utf8')).ports;
      const ca = readFileSync(join(fresh, 'tls', 'cert.pem'), 'utf8');
      const c = await RawImap.open(ports.imaps, { tls: true, ca });
      assert.match(await c.command('a', `LOGIN postmaster@first.test ${password}`), /a OK/);
      // The CLI changes the directory while the server runs; the change applies at once.
      assert.equal((await runCli(startEnv, ['user', 'add', 'late@first.test', '--password', 'late-password-1'])).code, 0);
      const d = await RawImap.open(ports.imaps, { tls: true, ca });
      assert.match(await d.command('b', 'LOGIN late@first.test late-password-1'), /b OK/);
      c.close();
      d.close();
    } finally {
      child.kill('SIGKILL');
      rmSync(fresh, { recursive: true, force: true });
    }
    assert.doesNotMatch(stdout, /late-password-1|admin-password/);
  });
});
