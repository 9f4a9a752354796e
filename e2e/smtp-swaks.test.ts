import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { startWithUser, type Mailwerk } from './harness.ts';

/**
 * SMTP with swaks (the "Swiss Army Knife for SMTP", /usr/bin/swaks) as the client: submission with every
 * AUTH mechanism and transport we offer, the refusals around it, open-relay probes against the inbound
 * MTA, STARTTLS command injection and end-of-DATA smuggling. Every success is checked where it lands
 * (IMAP, the queue), not only by swaks's exit code.
 */

// ---------------------------------------------------------------------------------------------------------
// swaks

interface SwaksRun {
  /** swaks's exit code: 0 success, 23 error after MAIL/DATA, 24 every RCPT refused, 28 AUTH failed, … */
  code: number;
  transcript: string;
  /** Server lines in order (`<-`, `<~`, and the error forms `<**`, `<~*`), prefix removed. */
  received: string[];
  /** Client lines in order (`->`, `~>`), prefix removed. */
  sent: string[];
  /** Every byte swaks wrote to the socket, rebuilt from the `--show-raw-text` hex dump (empty without it). */
  rawSent: Buffer;
}

const SWAKS_TIMEOUT_MS = 30_000;

function parseTranscript(transcript: string): Pick<SwaksRun, 'received' | 'sent' | 'rawSent'> {
  const received: string[] = [];
  const sent: string[] = [];
  const raw: number[] = [];
  for (const line of transcript.split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = /^<[-~*]{1,2} {1,2}(.*)$/.exec(line))) received.push(m[1]!);
    else if ((m = /^ [-~]> (.*)$/.exec(line))) sent.push(m[1]!);
    // `  > 0000: 46 72 6F 6D  3A 20 …    From:.…`: 16 bytes of hex in a 51-column field, then ASCII.
    else if ((m = /^ {2}> \d{4}: (.{1,51})/.exec(line))) for (const hex of m[1]!.trim().split(/\s+/)) raw.push(parseInt(hex, 16));
  }
  return { received, sent, rawSent: Buffer.from(raw) };
}

/** Run swaks with a timeout on both sides (its own `--timeout` per read, and a kill for the whole run). */
function swaks(args: string[]): Promise<SwaksRun> {
  return new Promise((resolve, reject) => {
    execFile('swaks', [...args, '--timeout', '15'], { timeout: SWAKS_TIMEOUT_MS, maxBuffer: 8 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error?.killed) return reject(new Error(`swaks ${args.join(' ')} timed out:\n${stdout}\n${stderr}`));
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      const transcript = `${stdout}\n${stderr}`;
      resolve({ code, transcript, ...parseTranscript(stdout) });
    });
  });
}

/** The first server line after the last client line matching `command` (lock-step sessions only). */
function replyTo(run: SwaksRun, command: RegExp): string {
  const lines = run.transcript.split('\n');
  let index = -1;
  lines.forEach((line, i) => {
    const m = /^ [-~]> (.*)$/.exec(line);
    if (m && command.test(m[1]!)) index = i;
  });
  assert.ok(index >= 0, `swaks never sent ${command}:\n${run.transcript}`);
  for (const line of lines.slice(index + 1)) {
    const m = /^<[-~*]{1,2} {1,2}(.*)$/.exec(line);
    if (m) return m[1]!;
  }
  assert.fail(`no reply to ${command}:\n${run.transcript}`);
}

/** The server's EHLO lines from the last EHLO of the session, without the `250-`/`250 ` prefix. */
function ehloKeywords(run: SwaksRun): string[] {
  const lines = run.transcript.split('\n');
  let start = -1;
  lines.forEach((line, i) => {
    if (/^ [-~]> EHLO /.test(line)) start = i;
  });
  const keywords: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const m = /^<[-~*]{1,2} {1,2}250([- ])(.*)$/.exec(line);
    if (!m) break;
    keywords.push(m[2]!);
    if (m[1] === ' ') break;
  }
  return keywords;
}

// ---------------------------------------------------------------------------------------------------------
// raw sockets, for what swaks cannot express

interface RawSession {
  /** Everything the server sent so far, plaintext and TLS alike, in order. */
  readonly received: string;
  /** Write bytes as they are and wait until what arrives after them matches `expect`. */
  send(bytes: string, expect: RegExp): Promise<string>;
  /** Start TLS over the connection (after the server's 220 to STARTTLS), verifying the server's certificate. */
  startTls(ca: string): Promise<void>;
  close(): void;
}

async function rawSession(port: number): Promise<RawSession> {
  let socket: Socket = netConnect({ port, host: '127.0.0.1' });
  let received = '';
  const onData = (d: Buffer) => (received += d.toString('latin1'));
  socket.on('data', onData);
  socket.on('error', () => {});
  const waitFor = async (re: RegExp, from: number): Promise<string> => {
    const deadline = Date.now() + 10_000;
    while (!re.test(received.slice(from))) {
      if (Date.now() > deadline || socket.destroyed) assert.fail(`waited for ${re}, got ${JSON.stringify(received.slice(from))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return received.slice(from);
  };
  await waitFor(/^220 .*\r\n/, 0);
  return {
    get received() {
      return received;
    },
    async send(bytes, expect) {
      const mark = received.length;
      socket.write(bytes);
      return waitFor(expect, mark);
    },
    async startTls(ca) {
      socket.removeListener('data', onData);
      const secure = tlsConnect({ socket, ca: [ca], servername: 'localhost' });
      secure.on('data', onData);
      secure.on('error', () => {});
      await once(secure, 'secureConnect');
      socket = secure;
    },
    close: () => socket.destroy(),
  };
}

/** The final line of a (possibly multi-line) reply: `\d{3} ` at the start of a line. */
const FINAL = /(?:^|\r\n)\d{3} [^\r]*\r\n$/;

// ---------------------------------------------------------------------------------------------------------

describe('SMTP with swaks', () => {
  let mw: Mailwerk;
  let workDir: string;
  const alice = { user: 'alice@example.test', pass: 'alice-password-1' };
  const bob = { user: 'bob@example.test', pass: 'bob-password-1' };
  const carol = { user: 'carol@example.test', pass: 'carol-password-1' };

  before(async () => {
    mw = await startWithUser(alice.user, alice.pass);
    for (const u of [bob, carol]) {
      const added = await mw.cli(['user', 'add', u.user, '--password', u.pass]);
      assert.equal(added.code, 0, added.stderr);
    }
    workDir = mkdtempSync(join(tmpdir(), 'mailwerk-swaks-'));
  });
  after(async () => {
    await mw?.cleanup();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  /** Raw sources of every message in an account's INBOX. */
  async function inbox(account: { user: string; pass: string }): Promise<string[]> {
    const c = new ImapFlow({ host: '127.0.0.1', port: mw.ports.imaps!, secure: true, tls: { ca: [mw.ca], servername: 'localhost' }, auth: { user: account.user, pass: account.pass }, logger: false });
    await c.connect();
    const sources: string[] = [];
    const lock = await c.getMailboxLock('INBOX');
    try {
      if ((c.mailbox as { exists: number }).exists > 0) for await (const m of c.fetch('1:*', { source: true })) sources.push(m.source!.toString('latin1'));
    } finally {
      lock.release();
    }
    await c.logout();
    return sources;
  }

  /** The one message in bob's INBOX with this subject. */
  async function bobsMessage(subject: string): Promise<string> {
    const found = (await inbox(bob)).filter((s) => s.includes(`\r\nSubject: ${subject}\r\n`) || s.startsWith(`Subject: ${subject}\r\n`));
    assert.equal(found.length, 1, `expected exactly one message "${subject}" for bob, found ${found.length}`);
    return found[0]!;
  }

  async function queueIsEmpty(): Promise<void> {
    const queue = await mw.cli(['queue', 'list']);
    assert.equal(queue.code, 0, queue.stderr);
    assert.match(queue.stdout, /^0 message\(s\) in the queue/m);
  }

  /** swaks against the STARTTLS submission port, verifying the server's certificate. */
  const starttls = () => ['--server', `127.0.0.1:${mw.ports.submission}`, '--tls', '--tls-verify', '--tls-ca-path', mw.caPath];
  const asAlice = (mechanism: string, password = alice.pass) => ['--auth', mechanism, '--auth-user', alice.user, '--auth-password', password];
  const aliceToBob = (subject: string) => ['--from', alice.user, '--to', bob.user, '--header', `Subject: ${subject}`];

  /** A submitted message as bob finds it: signed, stamped as authenticated ESMTP over TLS, from alice. */
  function assertSubmitted(source: string): void {
    const header = source.split('\r\n\r\n')[0]!;
    assert.match(header, /^DKIM-Signature: v=1; a=rsa-sha256; [^\r]*d=example\.test;/);
    assert.match(header, /\r\nReceived: from \S+ \(\[127\.0\.0\.1\]\)\r\n\tby localhost \(Mailwerk\) with ESMTPSA id [0-9a-f]+;/);
    assert.match(source, /\r\nFrom: alice@example\.test\r\n/);
    assert.match(source, /This is a test mailing/);
  }

  // ------------------------------------------------------------------------------------------------------
  // 1. submission over STARTTLS

  it('submits over STARTTLS with AUTH PLAIN and delivers to bob', async () => {
    const run = await swaks([...starttls(), ...asAlice('PLAIN'), ...aliceToBob('swaks AUTH PLAIN')]);
    assert.equal(run.code, 0, run.transcript);
    assert.match(replyTo(run, /^STARTTLS$/), /^220 2\.0\.0 /);
    assert.match(replyTo(run, /^AUTH PLAIN /), /^235 2\.7\.0 /);
    assert.match(replyTo(run, /^\.$/), /^250 2\.0\.0 Delivered, id [0-9a-f]+$/);
    assertSubmitted(await bobsMessage('swaks AUTH PLAIN'));
  });

  it('submits over STARTTLS with AUTH LOGIN and delivers to bob', async () => {
    const run = await swaks([...starttls(), ...asAlice('LOGIN'), ...aliceToBob('swaks AUTH LOGIN')]);
    assert.equal(run.code, 0, run.transcript);
    assert.match(replyTo(run, /^AUTH LOGIN$/), /^334 VXNlcm5hbWU6$/, 'the server asks for the user name');
    assert.match(replyTo(run, /^\.$/), /^250 2\.0\.0 Delivered, id [0-9a-f]+$/);
    assertSubmitted(await bobsMessage('swaks AUTH LOGIN'));
  });

  it('submits with PIPELINING (MAIL, RCPT and DATA in one write) and delivers to bob', async () => {
    const run = await swaks([...starttls(), '--pipeline', ...asAlice('PLAIN'), ...aliceToBob('swaks pipelined')]);
    assert.equal(run.code, 0, run.transcript);
    assert.ok(ehloKeywords(run).includes('PIPELINING'), run.transcript);
    // swaks really pipelined: the three commands went out before the first of their replies came back.
    const lines = run.transcript.split('\n');
    const mail = lines.findIndex((l) => l === ' ~> MAIL FROM:<alice@example.test>');
    assert.deepEqual(lines.slice(mail, mail + 3), [' ~> MAIL FROM:<alice@example.test>', ' ~> RCPT TO:<bob@example.test>', ' ~> DATA'], run.transcript);
    assert.deepEqual(
      lines.slice(mail + 3, mail + 6).map((l) => l.slice(4, 11)),
      ['250 2.1', '250 2.1', '354 End'],
    );
    assert.ok(run.received.some((l) => /^250 2\.0\.0 Delivered, id [0-9a-f]+$/.test(l)), run.transcript);
    assertSubmitted(await bobsMessage('swaks pipelined'));
  });

  // ------------------------------------------------------------------------------------------------------
  // 2. submission refusals

  it('does not offer AUTH before STARTTLS, so swaks sends no credentials in the clear', async () => {
    const run = await swaks(['--server', `127.0.0.1:${mw.ports.submission}`, ...asAlice('PLAIN'), ...aliceToBob('swaks plaintext auth')]);
    assert.notEqual(run.code, 0, run.transcript);
    assert.match(run.transcript, /Host did not advertise authentication/);
    assert.ok(!run.sent.some((l) => l.startsWith('AUTH') || l.startsWith('MAIL FROM')), run.transcript);
    assert.equal((await inbox(bob)).filter((s) => s.includes('swaks plaintext auth')).length, 0);
  });

  it('refuses AUTH LOGIN and AUTH PLAIN before STARTTLS at once with 538 5.7.11, without prompting for credentials', async () => {
    const s = await rawSession(mw.ports.submission!);
    const ehlo = await s.send('EHLO client.example\r\n', FINAL);
    assert.doesNotMatch(ehlo, /AUTH/);
    assert.match(ehlo, /STARTTLS/);
    // RFC 4954 §4: 538 is the reply to the AUTH command itself; a 334 challenge would make the client send
    // the user name and password (base64 is no protection) over plaintext, only to be refused afterwards.
    const login = await s.send('AUTH LOGIN\r\n', FINAL);
    const plain = await s.send('AUTH PLAIN\r\n', FINAL);
    const inline = await s.send(`AUTH PLAIN ${Buffer.from(`\0${alice.user}\0${alice.pass}`).toString('base64')}\r\n`, FINAL);
    const mail = await s.send(`MAIL FROM:<${alice.user}>\r\n`, FINAL);
    s.close();
    for (const reply of [login, plain, inline]) assert.match(reply, /^538 5\.7\.11 Encryption required/);
    assert.match(mail, /^530 /, 'the session stayed unauthenticated');
  });

  it('refuses a wrong password with 535 5.7.8', async () => {
    const run = await swaks([...starttls(), ...asAlice('PLAIN', 'not-the-password'), ...aliceToBob('swaks wrong password')]);
    assert.equal(run.code, 28, run.transcript);
    assert.match(replyTo(run, /^AUTH PLAIN /), /^535 5\.7\.8 Authentication failed/);
    assert.equal((await inbox(bob)).filter((s) => s.includes('swaks wrong password')).length, 0);
  });

  it('refuses MAIL without AUTH with 530 5.7.0', async () => {
    const run = await swaks([...starttls(), ...aliceToBob('swaks no auth')]);
    assert.notEqual(run.code, 0, run.transcript);
    assert.match(replyTo(run, /^MAIL FROM:/), /^530 5\.7\.0 Authentication required/);
    assert.ok(!run.sent.some((l) => l.startsWith('RCPT TO')), run.transcript);
    assert.equal((await inbox(bob)).filter((s) => s.includes('swaks no auth')).length, 0);
  });

  // ------------------------------------------------------------------------------------------------------
  // 3. implicit TLS

  it('submits on the implicit-TLS port (--tlsc) with AUTH and delivers to bob', async () => {
    const run = await swaks(['--server', `127.0.0.1:${mw.ports.submissions}`, '--tlsc', '--tls-verify', '--tls-ca-path', mw.caPath, ...asAlice('PLAIN'), ...aliceToBob('swaks implicit TLS')]);
    assert.equal(run.code, 0, run.transcript);
    // TLS came first: even the banner arrived encrypted, and no STARTTLS is offered inside TLS.
    assert.match(run.transcript, /=== TLS started with cipher [^\n]*\n(?:===[^\n]*\n)*<~ {2}220 /);
    assert.ok(!ehloKeywords(run).includes('STARTTLS'), run.transcript);
    assert.match(replyTo(run, /^\.$/), /^250 2\.0\.0 Delivered, id [0-9a-f]+$/);
    assertSubmitted(await bobsMessage('swaks implicit TLS'));
  });

  // ------------------------------------------------------------------------------------------------------
  // 4. the inbound MTA is no open relay

  it('does not offer AUTH on the inbound port, before or after STARTTLS, and refuses the command', async () => {
    const plain = await swaks(['--server', `127.0.0.1:${mw.ports.smtp}`, '--quit-after', 'EHLO']);
    assert.equal(plain.code, 0, plain.transcript);
    assert.ok(ehloKeywords(plain).includes('STARTTLS'), plain.transcript);
    assert.ok(!ehloKeywords(plain).some((k) => /^AUTH\b/i.test(k)), plain.transcript);
    const secure = await swaks(['--server', `127.0.0.1:${mw.ports.smtp}`, '--tls', '--tls-verify', '--tls-ca-path', mw.caPath, '--quit-after', 'EHLO']);
    assert.equal(secure.code, 0, secure.transcript);
    assert.match(secure.transcript, /=== TLS started/);
    assert.ok(ehloKeywords(secure).length > 0 && !ehloKeywords(secure).some((k) => /^AUTH\b/i.test(k)), secure.transcript);

    // Sent anyway, AUTH is refused, not half-started.
    const s = await rawSession(mw.ports.smtp!);
    await s.send('EHLO probe.example\r\n', FINAL);
    const refused = await s.send(`AUTH PLAIN ${Buffer.from(`\0${alice.user}\0${alice.pass}`).toString('base64')}\r\n`, FINAL);
    s.close();
    assert.match(refused, /^5\d\d 5\.\d+\.\d+ /);
  });

  it('refuses every open-relay trick on the inbound port, and stores and queues nothing', async () => {
    const before = await Promise.all([alice, bob, carol].map((u) => inbox(u)));
    const inbound = ['--server', `127.0.0.1:${mw.ports.smtp}`, '--from', 'spammer@evil.example'];
    const attempts: Array<{ name: string; args: string[]; rcpt: string }> = [
      { name: 'plain relay', args: ['--to', 'victim@elsewhere.example'], rcpt: 'victim@elsewhere.example' },
      { name: 'HELO localhost', args: ['--helo', 'localhost', '--to', 'victim@elsewhere.example'], rcpt: 'victim@elsewhere.example' },
      { name: 'HELO our own domain', args: ['--helo', 'example.test', '--to', 'victim@elsewhere.example'], rcpt: 'victim@elsewhere.example' },
      { name: 'HELO our own domain, sender in our domain', args: ['--helo', 'example.test', '--from', alice.user, '--to', 'victim@elsewhere.example'], rcpt: 'victim@elsewhere.example' },
      { name: '%-hack', args: ['--to', 'victim%elsewhere.example@example.test'], rcpt: 'victim%elsewhere.example@example.test' },
      { name: 'source route', args: ['--to', '@example.test:victim@elsewhere.example'], rcpt: '@example.test:victim@elsewhere.example' },
      { name: 'quoted local part with @', args: ['--to', '"victim@elsewhere.example"@example.test'], rcpt: '"victim@elsewhere.example"@example.test' },
      { name: 'quoted local part naming us, remote domain', args: ['--to', '"bob@example.test"@elsewhere.example'], rcpt: '"bob@example.test"@elsewhere.example' },
      { name: 'bang path', args: ['--to', 'elsewhere.example!victim@example.test'], rcpt: 'elsewhere.example!victim@example.test' },
      { name: 'address literal', args: ['--to', 'victim@[127.0.0.1]'], rcpt: 'victim@[127.0.0.1]' },
      // An SRS bounce address is forwarded to the address inside it: only with a valid hash, or anyone could relay.
      { name: 'forged SRS bounce address', args: ['--to', 'SRS0=abcd=AB=elsewhere.example=victim@example.test'], rcpt: 'SRS0=abcd=AB=elsewhere.example=victim@example.test' },
    ];
    for (const attempt of attempts) {
      const run = await swaks([...inbound, ...attempt.args]);
      // swaks exits 24 when every recipient was refused, and then never reaches DATA.
      assert.equal(run.code, 24, `${attempt.name}:\n${run.transcript}`);
      assert.ok(run.sent.includes(`RCPT TO:<${attempt.rcpt}>`), `${attempt.name}:\n${run.transcript}`);
      const refusal = replyTo(run, /^RCPT TO:/);
      assert.match(refusal, /^(?:554 5\.7\.1 Relaying denied|550 5\.1\.1 No such user|501 5\.1\.3 [^\r]*address syntax)/, `${attempt.name}: ${refusal}`);
      assert.ok(!run.sent.includes('DATA'), `${attempt.name}:\n${run.transcript}`);
    }

    // The same relay attempts by hand, with a source route swaks did not rewrite and DATA pushed anyway.
    const s = await rawSession(mw.ports.smtp!);
    await s.send('EHLO example.test\r\n', FINAL);
    assert.match(await s.send('MAIL FROM:<alice@example.test>\r\n', FINAL), /^250 /);
    assert.match(await s.send('RCPT TO:<@example.test,@localhost:victim@elsewhere.example>\r\n', FINAL), /^554 5\.7\.1 Relaying denied/);
    assert.match(await s.send('RCPT TO:<victim@elsewhere.example.>\r\n', FINAL), /^5\d\d 5\.\d+\.\d+ /);
    assert.match(await s.send('DATA\r\n', FINAL), /^503 5\.5\.1 /);
    await s.send('QUIT\r\n', FINAL);
    s.close();

    await queueIsEmpty();
    const afterwards = await Promise.all([alice, bob, carol].map((u) => inbox(u)));
    assert.deepEqual(
      afterwards.map((m) => m.length),
      before.map((m) => m.length),
    );
  });

  // ------------------------------------------------------------------------------------------------------
  // 5. STARTTLS command injection (CVE-2011-0411)

  /**
   * Send STARTTLS with another command behind it in the same packet, then start TLS and say EHLO. The
   * injected plaintext command must be dropped: no reply for it in plaintext after the 220 or inside TLS
   * ahead of the EHLO reply.
   */
  async function injectAfterStartTls(port: number, injected: string): Promise<RawSession> {
    const s = await rawSession(port);
    await s.send('EHLO client.example\r\n', FINAL);
    const mark = s.received.length;
    await s.send(`STARTTLS\r\n${injected}\r\n`, /^220 [^\r]*\r\n/);
    // Give a vulnerable server the chance to answer the injected command in plaintext before the handshake.
    await new Promise((r) => setTimeout(r, 100));
    const plaintext = s.received.slice(mark);
    assert.match(plaintext, /^220 2\.0\.0 [^\r]*\r\n$/, `something answered the injected ${injected}: ${JSON.stringify(plaintext)}`);
    await s.startTls(mw.ca);
    const ehlo = await s.send('EHLO client.example\r\n', FINAL);
    assert.match(ehlo, /^250-localhost /, `the first reply inside TLS must be EHLO's, got ${JSON.stringify(ehlo)}`);
    return s;
  }

  it('does not run commands injected behind STARTTLS on the inbound port', async () => {
    for (const injected of ['MAIL FROM:<x@evil.example>', 'RSET']) {
      const s = await injectAfterStartTls(mw.ports.smtp!, injected);
      // Had the injected MAIL FROM survived into the TLS session, this RCPT would be accepted.
      assert.match(await s.send('RCPT TO:<bob@example.test>\r\n', FINAL), /^503 5\.5\.1 /, injected);
      // The TLS session itself works.
      assert.match(await s.send('MAIL FROM:<someone@sender.example>\r\n', FINAL), /^250 2\.1\.0 /);
      assert.match(await s.send('RSET\r\n', FINAL), /^250 /);
      await s.send('QUIT\r\n', FINAL);
      s.close();
    }
  });

  it('does not run commands injected behind STARTTLS on the submission port', async () => {
    const credentials = Buffer.from(`\0${alice.user}\0${alice.pass}`).toString('base64');
    for (const injected of [`AUTH PLAIN ${credentials}`, `MAIL FROM:<${alice.user}>`]) {
      const s = await injectAfterStartTls(mw.ports.submission!, injected);
      // An injected AUTH that ran would make this MAIL succeed (or, for MAIL, make it a nested MAIL).
      assert.match(await s.send(`MAIL FROM:<${alice.user}>\r\n`, FINAL), /^530 5\.7\.0 Authentication required/, injected);
      assert.match(await s.send('RCPT TO:<bob@example.test>\r\n', FINAL), /^5\d\d /, injected);
      // Logging in properly inside TLS works.
      assert.match(await s.send(`AUTH PLAIN ${credentials}\r\n`, FINAL), /^235 2\.7\.0 /);
      assert.match(await s.send(`MAIL FROM:<${alice.user}>\r\n`, FINAL), /^250 2\.1\.0 /);
      await s.send('QUIT\r\n', FINAL);
      s.close();
    }
  });

  // ------------------------------------------------------------------------------------------------------
  // 6. end-of-DATA smuggling with the exact bytes from a file

  it('keeps a message with bare-LF dot lines (swaks --data @file --no-data-fixup) as one message', async () => {
    // Without --no-data-fixup swaks turns every bare LF into CRLF and dot-stuffs ".", so the dangerous
    // bytes would never reach the server; with it the file goes out byte for byte, followed by CRLF.
    const variants: Array<[string, string]> = [
      ['LF.LF', '\n.\n'],
      ['LF.CRLF', '\n.\r\n'],
      ['CRLF.LF', '\r\n.\n'],
    ];
    const before = (await inbox(carol)).length;
    for (const [name, terminator] of variants) {
      const data =
        `From: <sender@sender.example>\r\nTo: <${carol.user}>\r\nSubject: outer ${name}\r\n\r\nouter body${terminator}` +
        `MAIL FROM:<spoof@victim.example>\r\nRCPT TO:<${carol.user}>\r\nDATA\r\nFrom: <ceo@victim.example>\r\nSubject: smuggled ${name}\r\n\r\ninner body\r\n.`;
      const file = join(workDir, `smuggle-${name}.eml`);
      writeFileSync(file, data, 'latin1');
      const run = await swaks(['--server', `127.0.0.1:${mw.ports.smtp}`, '--from', 'sender@sender.example', '--to', carol.user, '--data', `@${file}`, '--no-data-fixup', '--show-raw-text']);
      assert.equal(run.code, 0, run.transcript);
      // swaks sent exactly the file, then CRLF: the bare LFs reached the server.
      assert.ok(run.rawSent.includes(Buffer.from(`${data}\r\n`, 'latin1')), `swaks did not send the file verbatim:\n${run.transcript}`);
      // One DATA, one reply for it, and nothing answered the smuggled commands.
      const deliveries = run.received.filter((l) => /^250 2\.0\.0 Delivered/.test(l));
      assert.equal(deliveries.length, 1, run.transcript);
      assert.deepEqual(run.received.slice(-2).map((l) => l.slice(0, 3)), ['250', '221'], run.transcript);
    }

    const messages = (await inbox(carol)).slice(before);
    assert.equal(messages.length, variants.length, `expected ${variants.length} messages, got:\n${messages.join('\n-----\n')}`);
    for (const [i, [name]] of variants.entries()) {
      const source = messages[i]!;
      assert.match(source, new RegExp(`\\r\\nSubject: outer ${name}\\r\\n`));
      // The would-be second message is text inside the first, never a message of its own.
      assert.match(source, /MAIL FROM:<spoof@victim\.example>/);
      assert.match(source, new RegExp(`Subject: smuggled ${name}`));
      assert.match(source, /inner body/);
      assert.doesNotMatch(source.split('\r\n\r\n')[0]!, /smuggled|ceo@victim/, 'the smuggled headers are not the message headers');
    }
    await queueIsEmpty();
  });
});
