import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import nodemailer from 'nodemailer';
import { startDnsServer, type TestDnsServer } from './dns-server.ts';
import { startWithUser, type Mailwerk } from './harness.ts';
import { closedPort, mailboxSources } from './mail-helpers.ts';

/** The token of one of our messages, from its Subject header (the Received header may come first). */
const tokenOf = (source: string): string | undefined => /^Subject: crash (\S+)\r?$/m.exec(source)?.[1];

/** Which tokens occur how often. */
function counts(tokens: Iterable<string>): Map<string, number> {
  const result = new Map<string, number>();
  for (const token of tokens) result.set(token, (result.get(token) ?? 0) + 1);
  return result;
}

/**
 * Durability of SMTP: kill -9 while inbound and submission clients send, then restart. Every message that
 * got its 250 after DATA is in the local mailbox or in the outbound queue, whole, and none is there twice.
 * Remote delivery goes to a closed port with an hour's retry, so queued mail stays queued during the test.
 */
describe('SMTP crash safety', () => {
  let mw: Mailwerk;
  let dns: TestDnsServer;
  const user = 'crash@example.test';
  const password = 'crash-password-1';
  const remoteRecipient = 'someone@remote.test';
  const run = randomBytes(3).toString('hex');

  before(async () => {
    const port = await closedPort();
    dns = await startDnsServer({ 'remote.test': { MX: [{ exchange: 'mx.remote.test', priority: 10 }] }, 'mx.remote.test': { A: ['127.0.0.1'] } });
    mw = await startWithUser(user, password, {
      MAILWERK_DNS: dns.address,
      MAILWERK_QUEUE_MX_PORT: String(port),
      MAILWERK_QUEUE_RETRY_BASE: '1h',
      MAILWERK_QUEUE_MAX_RETRY: '1h',
      // The sending limits would refuse part of the load; they are not what this test is about.
      MAILWERK_SUBMISSION_MESSAGES_PER_HOUR: '1000000',
      MAILWERK_SUBMISSION_MESSAGES_PER_DAY: '1000000',
    });
  });
  after(async () => {
    await mw?.cleanup();
    await dns?.close();
  });

  /** One connection per message (no pool), so a resolved sendMail means exactly that message got 250. */
  const inbound = () => nodemailer.createTransport({ host: '127.0.0.1', port: mw.ports.smtp!, secure: false, ignoreTLS: true, pool: false });
  const submission = () =>
    nodemailer.createTransport({
      host: '127.0.0.1',
      port: mw.ports.submissions!,
      secure: true,
      pool: false,
      tls: { ca: [mw.ca], servername: 'localhost' },
      auth: { user, pass: password },
    });

  /** A message whose body ends with a marker, so a half-stored copy is noticed. Sizes vary from 1 to ~30 KB. */
  const message = (kind: 'local' | 'remote', token: string, n: number) => ({
    envelope: kind === 'local' ? { from: 'sender@sender.test', to: user } : { from: user, to: remoteRecipient },
    from: kind === 'local' ? 'Sender <sender@sender.test>' : `Crash <${user}>`,
    to: kind === 'local' ? user : remoteRecipient,
    subject: `crash ${token}`,
    messageId: `<${token}@crash.test>`,
    text: `${token}\r\n` + `${'x'.repeat(60)}\r\n`.repeat(16 + ((n * 7919) % 480)) + `END ${token}\r\n`,
  });

  const inboxSources = () => mailboxSources(mw, user, password);

  /** Every queued message's raw bytes and its recipients still waiting, read straight from the queue database. */
  function queueContents(): Array<{ id: string; raw: string; waiting: string[] }> {
    const db = new BetterSqlite3(join(mw.dataDir, 'queue.sqlite'), { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare(`SELECT id, raw FROM queue_messages`).all() as Array<{ id: string; raw: Buffer }>;
      const waiting = db.prepare(`SELECT address FROM queue_recipients WHERE message_id = ? AND state = 'queued'`).pluck();
      return rows.map((r) => ({ id: r.id, raw: r.raw.toString(), waiting: waiting.all(r.id) as string[] }));
    } finally {
      db.close();
    }
  }

  it('keeps every message that got 250 across kill -9, in the mailbox or the queue, exactly once', async (t) => {
    const acknowledged = { local: new Set<string>(), remote: new Set<string>() };
    const attempted = { local: new Set<string>(), remote: new Set<string>() };
    const errorsBeforeKill: string[] = [];
    let killing = false;

    const workers = Array.from({ length: 8 }, async (_, w) => {
      const kind = w % 2 === 0 ? 'local' : 'remote';
      const transport = kind === 'local' ? inbound() : submission();
      for (let i = 0; !killing; i++) {
        const token = `${run}-${kind}-${w}-${i}`;
        attempted[kind].add(token);
        try {
          await transport.sendMail(message(kind, token, w * 1000 + i));
          acknowledged[kind].add(token);
        } catch (error) {
          // After the kill every sender fails, and that message was never acknowledged; before it nothing should.
          if (!killing) errorsBeforeKill.push(`${token}: ${(error as Error).message}`);
          if (killing) return;
        }
      }
    });

    // Kill at a random moment 1–2 s into the load, but not before there is a fair amount of both kinds
    // (a busy machine may need longer for that; then a little later than that, at random).
    const started = Date.now();
    let killAt = started + 1000 + Math.random() * 1000;
    const deadline = started + 20_000;
    const enough = () => acknowledged.local.size >= 20 && acknowledged.remote.size >= 20;
    while (!enough() && Date.now() < deadline && errorsBeforeKill.length === 0) await sleep(10);
    killAt = Math.max(killAt, Date.now() + Math.random() * 300);
    while (Date.now() < killAt && errorsBeforeKill.length === 0) await sleep(10);
    killing = true;
    const killedAfter = Date.now() - started;
    await mw.kill();
    await Promise.all(workers);
    t.diagnostic(
      `killed after ${killedAfter} ms: acknowledged ${acknowledged.local.size} local and ${acknowledged.remote.size} remote, attempted ${attempted.local.size} and ${attempted.remote.size}`,
    );
    assert.deepEqual(errorsBeforeKill, [], 'sending failed before the kill');
    assert.ok(acknowledged.local.size >= 20, `only ${acknowledged.local.size} local messages acknowledged before the kill`);
    assert.ok(acknowledged.remote.size >= 20, `only ${acknowledged.remote.size} remote messages acknowledged before the kill`);

    await mw.restart();

    // The mailbox: every acknowledged local message once and whole; anything else there is one of ours, at most once.
    const sources = await inboxSources();
    const inboxTokens: string[] = [];
    for (const source of sources) {
      const token = tokenOf(source);
      assert.ok(token && attempted.local.has(token), `INBOX holds a message that is not one of the local ones sent: ${source.slice(0, 300)}`);
      assert.ok(source.includes(`END ${token}`), `the stored copy of ${token} is cut short (${source.length} bytes)`);
      inboxTokens.push(token);
    }
    const inInbox = counts(inboxTokens);
    for (const [token, n] of inInbox) assert.equal(n, 1, `${token} is in the INBOX ${n} times`);
    const lostLocal = [...acknowledged.local].filter((token) => !inInbox.has(token));
    assert.deepEqual(lostLocal, [], 'acknowledged local messages missing from the INBOX');

    // The queue: every acknowledged remote message once, whole, with its recipient still waiting.
    const queued = queueContents();
    const queueTokens: string[] = [];
    for (const entry of queued) {
      const token = tokenOf(entry.raw);
      assert.ok(token && attempted.remote.has(token), `the queue holds ${entry.id}, not one of the remote messages sent: ${entry.raw.slice(0, 300)}`);
      assert.ok(entry.raw.includes(`END ${token}`), `the queued copy of ${token} (${entry.id}) is cut short`);
      assert.deepEqual(entry.waiting, [remoteRecipient], `${entry.id} (${token}) has no recipient waiting`);
      queueTokens.push(token);
    }
    const inQueue = counts(queueTokens);
    for (const [token, n] of inQueue) assert.equal(n, 1, `${token} is in the queue ${n} times`);
    const lostRemote = [...acknowledged.remote].filter((token) => !inQueue.has(token));
    assert.deepEqual(lostRemote, [], 'acknowledged remote messages missing from the queue');
    t.diagnostic(`after restart: ${inInbox.size} in the INBOX, ${inQueue.size} in the queue`);

    // And the restarted server takes mail again, both ways.
    const after = { local: `${run}-after-local`, remote: `${run}-after-remote` };
    attempted.local.add(after.local);
    attempted.remote.add(after.remote);
    const localInfo = await inbound().sendMail(message('local', after.local, 1));
    assert.match(localInfo.response, /^250 2\.0\.0 Delivered/);
    const remoteInfo = await submission().sendMail(message('remote', after.remote, 2));
    assert.match(remoteInfo.response, /^250 2\.0\.0 Queued as /);
    assert.equal((await inboxSources()).filter((s) => tokenOf(s) === after.local).length, 1, 'the message sent after the restart is not in the INBOX');
    assert.equal(queueContents().filter((q) => tokenOf(q.raw) === after.remote).length, 1, 'the message sent after the restart is not in the queue');
  });
});
