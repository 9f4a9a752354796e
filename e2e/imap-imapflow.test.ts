import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { sampleMessage, startWithUser, type Mailwerk } from './harness.ts';

/** imapflow (a client nobody here wrote) against the real server process, over verified TLS. */
describe('IMAP with imapflow', () => {
  let mw: Mailwerk;
  const user = 'jane@example.test';
  const password = 'jane-password-1';

  before(async () => {
    mw = await startWithUser(user, password);
  });
  after(async () => mw.cleanup());

  function client(opts: { implicit?: boolean; user?: string; pass?: string } = {}): ImapFlow {
    return new ImapFlow({
      host: '127.0.0.1',
      port: opts.implicit ? mw.ports.imaps! : mw.ports.imap!,
      secure: !!opts.implicit,
      tls: { ca: [mw.ca], servername: 'localhost' },
      auth: { user: opts.user ?? user, pass: opts.pass ?? password },
      logger: false,
      doSTARTTLS: opts.implicit ? undefined : true,
    } as ConstructorParameters<typeof ImapFlow>[0]);
  }

  it('logs in over STARTTLS and over implicit TLS, and lists the default mailboxes with special uses', async () => {
    for (const implicit of [false, true]) {
      const c = client({ implicit });
      await c.connect();
      const list = await c.list();
      const byPath = new Map(list.map((m) => [m.path, m]));
      for (const name of ['INBOX', 'Drafts', 'Sent', 'Junk', 'Trash', 'Archive']) assert.ok(byPath.has(name), `${name} listed`);
      assert.equal(byPath.get('Sent')!.specialUse, '\\Sent');
      assert.equal(byPath.get('Junk')!.specialUse, '\\Junk');
      assert.ok(c.capabilities.has('IDLE'));
      assert.ok(c.capabilities.has('CONDSTORE'));
      await c.logout();
    }
  });

  it('refuses a wrong password with AUTHENTICATIONFAILED', async () => {
    const c = client({ pass: 'wrong-password' });
    await assert.rejects(c.connect(), (err: Error & { authenticationFailed?: boolean; serverResponseCode?: string }) => {
      return err.authenticationFailed === true || /AUTHENTICATIONFAILED/.test(String(err.serverResponseCode ?? err.message));
    });
  });

  it('appends, fetches envelope, structure and source, searches, flags, moves and expunges', async () => {
    const c = client();
    await c.connect();
    const raw = sampleMessage({ subject: 'Quarterly report', body: 'The numbers for the flumbergast project look good.\r\n' });
    const appended = (await c.append('INBOX', raw, ['\\Flagged'])) as { uid: number };
    assert.ok(appended && appended.uid, 'APPENDUID returned');
    const lock = await c.getMailboxLock('INBOX');
    try {
      const message = await c.fetchOne(String(appended.uid), { envelope: true, bodyStructure: true, source: true, flags: true, internalDate: true, size: true }, { uid: true });
      assert.ok(message);
      assert.equal(message.envelope!.subject, 'Quarterly report');
      assert.equal(message.envelope!.from![0]!.address, 'alice@example.org');
      assert.equal(message.envelope!.from![0]!.name, 'Alice Example');
      assert.equal(message.bodyStructure!.type, 'text/plain');
      assert.equal(message.source!.toString(), raw);
      assert.equal(message.size, Buffer.byteLength(raw));
      assert.ok(message.flags!.has('\\Flagged'));

      const hits = await c.search({ body: 'flumbergast' }, { uid: true });
      assert.deepEqual(hits, [appended.uid]);
      const none = await c.search({ body: 'nonexistentword' }, { uid: true });
      assert.deepEqual(none, []);
      const bySubject = await c.search({ subject: 'quarterly' }, { uid: true });
      assert.deepEqual(bySubject, [appended.uid]);

      await c.messageFlagsAdd(String(appended.uid), ['\\Seen', '$Important'], { uid: true });
      const flagged = await c.fetchOne(String(appended.uid), { flags: true }, { uid: true });
      assert.ok(flagged && flagged.flags!.has('\\Seen') && flagged.flags!.has('$Important'));
      const unseen = (await c.search({ seen: false }, { uid: true })) as number[];
      assert.ok(!unseen.includes(appended.uid));

      const moved = await c.messageMove(String(appended.uid), 'Archive', { uid: true });
      assert.ok(moved, 'MOVE succeeded');
      const stillHere = (await c.search({ all: true }, { uid: true })) as number[];
      assert.ok(!stillHere.includes(appended.uid));
    } finally {
      lock.release();
    }
    const archive = (await c.status('Archive', { messages: true })) as { messages: number };
    assert.equal(archive.messages, 1);

    const lock2 = await c.getMailboxLock('Archive');
    try {
      await c.messageDelete('1:*');
      const left = await c.search({ all: true });
      assert.deepEqual(left, []);
    } finally {
      lock2.release();
    }
    await c.logout();
  });

  it('tells an IDLE client about a new message within one second', async () => {
    const watcher = client();
    await watcher.connect();
    await watcher.mailboxOpen('INBOX');
    const arrived = new Promise<number>((resolve) => watcher.on('exists', (data: { count: number }) => resolve(Date.now())));
    void watcher.idle(); // explicit IDLE: resolves when imapflow breaks it off for the next command
    await new Promise((r) => setTimeout(r, 200));
    const writer = client();
    await writer.connect();
    const sent = Date.now();
    await writer.append('INBOX', sampleMessage({ subject: 'Ping' }));
    const seenAt = await Promise.race([arrived, new Promise<number>((_, reject) => setTimeout(() => reject(new Error('no EXISTS within 3 s')), 3000))]);
    assert.ok(seenAt - sent < 1000, `EXISTS arrived after ${seenAt - sent} ms`);
    await writer.logout();
    await watcher.logout();
  });

  it('creates, renames and deletes mailboxes with UTF-8 names, and keeps accounts apart', async () => {
    const c = client();
    await c.connect();
    await c.mailboxCreate(['Projekte', 'Größe']);
    let names = (await c.list()).map((m) => m.path);
    assert.ok(names.includes('Projekte/Größe'), names.join(','));
    await c.mailboxRename('Projekte', 'Work');
    names = (await c.list()).map((m) => m.path);
    assert.ok(names.includes('Work/Größe') && !names.includes('Projekte'), names.join(','));
    await c.mailboxDelete('Work/Größe');
    await c.append('Work', sampleMessage({ subject: 'Private to jane' }));
    await c.logout();

    const other = 'max@example.test';
    assert.equal((await mw.cli(['user', 'add', other, '--password', 'max-password-1'])).code, 0);
    const m = client({ user: other, pass: 'max-password-1' });
    await m.connect();
    const theirs = (await m.list()).map((x) => x.path);
    assert.ok(!theirs.includes('Work'), 'another account sees its own mailboxes only');
    await assert.rejects(m.mailboxOpen('Work'));
    await m.logout();
  });

  it('reports CONDSTORE modseqs and changes since a modseq', async () => {
    const c = client();
    await c.connect();
    const box = await c.mailboxOpen('INBOX');
    assert.ok(box.highestModseq !== undefined, 'HIGHESTMODSEQ on SELECT');
    const before = BigInt(box.highestModseq!);
    const appended = (await c.append('INBOX', sampleMessage({ subject: 'Modseq' }))) as { uid: number };
    await c.messageFlagsAdd(String(appended!.uid), ['\\Answered'], { uid: true });
    const changed: number[] = [];
    for await (const msg of c.fetch('1:*', { uid: true, flags: true }, { uid: true, changedSince: before })) changed.push(msg.uid);
    assert.ok(changed.includes(appended!.uid));
    await c.logout();
  });
});
