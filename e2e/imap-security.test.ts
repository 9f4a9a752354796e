import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RawImap } from './raw-imap.ts';
import { sampleMessage, startMailwerk, type Mailwerk } from './harness.ts';

/** What a hostile or broken client may try, over raw sockets. */
describe('IMAP security and bad input', () => {
  let mw: Mailwerk;
  const alice = { user: 'alice@example.test', pass: 'alice-password-1' };
  const bob = { user: 'bob@example.test', pass: 'bob-password-1' };

  before(async () => {
    mw = await startMailwerk({ MAILWERK_IMAP_MAX_CONNECTIONS_PER_IP: '20', MAILWERK_IMAP_MAX_CONNECTIONS_PER_ACCOUNT: '5' });
    for (const u of [alice, bob]) assert.equal((await mw.cli(['user', 'add', u.user, '--password', u.pass])).code, 0);
  });
  after(async () => mw.cleanup());

  const loggedIn = async (who = alice) => {
    const c = await RawImap.open(mw.ports.imaps!, { tls: true, ca: mw.ca });
    assert.match(await c.command('L', `LOGIN ${who.user} ${who.pass}`), /L OK/);
    return c;
  };

  it('refuses LOGIN and AUTHENTICATE before STARTTLS and advertises LOGINDISABLED', async () => {
    const c = await RawImap.open(mw.ports.imap!);
    assert.match(await c.command('a', 'CAPABILITY'), /LOGINDISABLED/);
    assert.match(await c.command('b', `LOGIN ${alice.user} ${alice.pass}`), /b NO \[PRIVACYREQUIRED\]/);
    assert.match(await c.command('c', 'AUTHENTICATE PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABhbGljZS1wYXNzd29yZC0x'), /c NO \[PRIVACYREQUIRED\]/);
    c.close();
  });

  it('discards commands pipelined after STARTTLS in plaintext', async () => {
    const c = await RawImap.open(mw.ports.imap!);
    c.send(`s STARTTLS\r\nx LOGIN ${alice.user} ${alice.pass}\r\n`);
    assert.match(await c.until((b) => b.includes('s OK')), /s OK/);
    await c.upgrade(mw.ca);
    const caps = await c.command('t', 'CAPABILITY');
    assert.doesNotMatch(caps, /x OK/, 'the injected LOGIN must not have run');
    assert.doesNotMatch(caps, /STARTTLS/);
    assert.match(await c.command('u', `AUTHENTICATE PLAIN ${Buffer.from(`\0${alice.user}\0${alice.pass}`).toString('base64')}`), /u OK/);
    c.close();
  });

  it('answers malformed commands with BAD and a reason, and keeps the connection', async () => {
    const c = await loggedIn();
    assert.match(await c.command('a', 'FROBNICATE'), /a BAD .+/);
    assert.match(await c.command('b', 'FETCH'), /b BAD .+/);
    assert.match(await c.command('c', 'SELECT'), /c BAD .+/);
    assert.match(await c.command('d', 'SEARCH FOO'), /d BAD .+/);
    assert.match(await c.command('e', 'SELECT INBOX'), /e OK/);
    assert.match(await c.command('f', 'FETCH 1:* (NOSUCHITEM)'), /f BAD .+/);
    assert.match(await c.command('g', 'FETCH 99 (FLAGS)'), /g BAD .+beyond/);
    c.send(Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x0d, 0x0a]));
    assert.match(await c.until((b) => /BAD/.test(b)), /BAD/);
    assert.match(await c.command('h', 'NOOP'), /h OK/);
    c.close();
  });

  it('refuses an oversized synchronizing literal before the data and closes on an oversized non-synchronizing one', async () => {
    const c = await loggedIn();
    assert.match(await c.command('a', 'APPEND INBOX {999999999999}'), /a (NO|BAD) \[TOOBIG\]/);
    assert.match(await c.command('b', 'NOOP'), /b OK/);
    c.send('c APPEND INBOX {999999999999+}\r\n');
    const reply = await c.until((b) => /BYE/.test(b));
    assert.match(reply, /\* BYE/);
    await c.until(() => c.closed);
    assert.ok(c.closed);
  });

  it('refuses a large literal before login', async () => {
    const c = await RawImap.open(mw.ports.imaps!, { tls: true, ca: mw.ca });
    assert.match(await c.command('a', 'LOGIN {100000}'), /a NO \[TOOBIG\]/);
    c.close();
  });

  it('keeps one account out of another account\'s mailboxes and out of odd names', async () => {
    const b = await loggedIn(bob);
    assert.match(await b.command('a', 'CREATE Secret'), /a OK/);
    b.close();
    const a = await loggedIn(alice);
    for (const name of ['Secret', '../bob@example.test/Secret', '"../Secret"', 'INBOX/../Secret', '"~bob/Secret"']) {
      assert.match(await a.command('s', `SELECT ${name}`), /s NO/);
    }
    assert.match(await a.command('c1', 'CREATE "a/../b"'), /c1 (NO|BAD)/);
    assert.match(await a.command('c2', 'CREATE "x*y"'), /c2 (NO|BAD)/);
    assert.match(await a.command('c3', 'CREATE "&Jjo-bad&AGE-"'), /c3 (NO|BAD)/);
    const list = await a.command('l', 'LIST "" "*"');
    assert.doesNotMatch(list, /Secret/);
    a.close();
  });

  it('delays and then locks out repeated wrong passwords', async () => {
    const c = await RawImap.open(mw.ports.imaps!, { tls: true, ca: mw.ca });
    const target = 'victim@example.test';
    let previous = 0;
    for (let i = 0; i < 3; i++) {
      const start = Date.now();
      assert.match(await c.command(`w${i}`, `LOGIN ${target} wrong-${i}`, 20000), /NO \[AUTHENTICATIONFAILED\]/);
      const took = Date.now() - start;
      assert.ok(took >= 900, `failure ${i} answered after ${took} ms`);
      assert.ok(took >= previous * 1.5 || i === 0, `delay grows: ${previous} → ${took}`);
      previous = took;
    }
    c.close();
  });

  it('limits concurrent sessions per account', async () => {
    const carol = { user: 'carol@example.test', pass: 'carol-password-1' };
    assert.equal((await mw.cli(['user', 'add', carol.user, '--password', carol.pass])).code, 0);
    const sessions = [];
    for (let i = 0; i < 5; i++) sessions.push(await loggedIn(carol));
    const extra = await RawImap.open(mw.ports.imaps!, { tls: true, ca: mw.ca });
    assert.match(await extra.command('x', `LOGIN ${carol.user} ${carol.pass}`), /x NO \[LIMIT\]/);
    sessions.pop()!.close();
    await new Promise((r) => setTimeout(r, 200));
    assert.match(await extra.command('y', `LOGIN ${carol.user} ${carol.pass}`), /y OK/);
    for (const s of [...sessions, extra]) s.close();
  });

  it('limits connections per client address', async () => {
    const open: Array<{ close(): void }> = [];
    let refused = '';
    try {
      for (let i = 0; i < 25 && !refused; i++) {
        const socket = await import('node:net').then((net) => net.connect({ port: mw.ports.imap!, host: '127.0.0.1' }));
        const greeting = await new Promise<string>((resolve) => socket.once('data', (d) => resolve(String(d))));
        if (/BYE/.test(greeting)) refused = greeting;
        open.push({ close: () => socket.destroy() });
      }
    } finally {
      for (const c of open) c.close();
    }
    assert.match(refused, /\* BYE Too many connections from your address/);
    assert.ok(open.length <= 21, `refused only after ${open.length} connections`);
    // The server frees the slots when it sees the closes; wait for that so later tests can connect.
    for (let i = 0; i < 100; i++) {
      const probe = await RawImap.open(mw.ports.imap!).catch(() => null);
      const fine = probe && /^\* OK/.test(probe.greeting);
      probe?.close();
      if (fine) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  it('parses a MIME bomb within bounded time and still serves it', async () => {
    const c = await loggedIn();
    const addresses = Array.from({ length: 100_000 }, (_, i) => `To: user${i}@example.org`).join('\r\n');
    let nested = 'Content-Type: text/plain\r\n\r\ncore\r\n';
    for (let depth = 0; depth < 120; depth++) {
      nested = `Content-Type: multipart/mixed; boundary="b${depth}"\r\n\r\n--b${depth}\r\n${nested}\r\n--b${depth}--\r\n`;
    }
    const bomb = `From: bomb@example.org\r\nSubject: bomb\r\n${addresses}\r\nMIME-Version: 1.0\r\n${nested}`;
    const start = Date.now();
    c.send(`a APPEND INBOX {${Buffer.byteLength(bomb)}+}\r\n`);
    c.send(bomb + '\r\n');
    assert.match(await c.until((b) => /a (OK|NO|BAD)/.test(b), 30000), /a OK/);
    assert.ok(Date.now() - start < 15000, `bomb took ${Date.now() - start} ms`);
    assert.match(await c.command('s', 'SELECT INBOX'), /s OK/);
    const fetched = await c.command('f', 'FETCH * (ENVELOPE BODYSTRUCTURE)', 30000);
    assert.match(fetched, /f OK/);
    assert.match(await c.command('n', 'NOOP'), /n OK/);
    c.close();
  });

  it('keeps message data of the session consistent when another session expunges', async () => {
    const a = await loggedIn();
    const b = await loggedIn();
    assert.match(await a.command('c', 'CREATE Shared'), /c OK/);
    for (let i = 0; i < 3; i++) {
      const m = sampleMessage({ subject: `m${i}` });
      a.send(`ap${i} APPEND Shared {${Buffer.byteLength(m)}+}\r\n${m}\r\n`);
      await a.until((x) => x.includes(`ap${i} OK`));
    }
    assert.match(await a.command('s', 'SELECT Shared'), /3 EXISTS/);
    assert.match(await b.command('s', 'SELECT Shared'), /3 EXISTS/);
    await b.command('d', 'STORE 2 +FLAGS (\\Deleted)');
    assert.match(await b.command('e', 'EXPUNGE'), /\* 2 EXPUNGE/);
    // A FETCH by sequence number must not see an EXPUNGE (RFC 9051 7.5.1); NOOP then delivers it.
    const fetch = await a.command('f', 'FETCH 1:3 (FLAGS)');
    assert.doesNotMatch(fetch, /\* \d+ EXPUNGE/);
    assert.match(fetch, /\* 1 FETCH .*\r\n\* 3 FETCH .*\r\nf OK \[EXPUNGEISSUED\]/);
    assert.match(await a.command('n', 'NOOP'), /\* 2 EXPUNGE/);
    assert.match(await a.command('f2', 'FETCH 2 (ENVELOPE)'), /"m2"/);
    a.close();
    b.close();
  });
});
