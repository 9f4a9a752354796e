import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { StoreError } from '../types.ts';
import { SqliteStore } from './store.ts';

function message(subject: string, body: string, extra: string[] = []): Buffer {
  return Buffer.from(
    [`From: Alice <alice@example.org>`, `To: bob@example.test`, `Subject: ${subject}`, `Date: Mon, 02 Nov 2026 09:00:00 +0000`, ...extra, '', body, ''].join('\r\n'),
  );
}

describe('SqliteStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailwerk-store-'));
  let store: SqliteStore;
  const account = 'a1';

  before(async () => {
    store = new SqliteStore({ dataDir: dir });
    await store.ensureAccount(account, 1024 * 1024);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const inbox = async () => (await store.getMailbox(account, 'inbox'))!;

  it('creates the default mailboxes with special uses, once', async () => {
    await store.ensureAccount(account, 1024 * 1024);
    const boxes = await store.listMailboxes(account);
    assert.deepEqual(boxes.map((b) => b.name).sort(), ['Archive', 'Drafts', 'INBOX', 'Junk', 'Sent', 'Trash']);
    assert.equal(boxes.find((b) => b.name === 'Junk')!.specialUse, '\\Junk');
    assert.equal(boxes.find((b) => b.name === 'INBOX')!.specialUse, null);
  });

  it('appends with increasing UIDs and modseqs, and counts', async () => {
    const box = await inbox();
    const first = await store.append(account, box.id, [{ raw: message('one', 'apple banana'), flags: ['\\seen'] }]);
    const second = await store.append(account, box.id, [{ raw: message('two', 'cherry') }, { raw: message('three', 'banana split') }]);
    assert.deepEqual(first.uids, [1]);
    assert.deepEqual(second.uids, [2, 3]);
    assert.equal(first.uidValidity, box.uidValidity);
    const counts = await store.counts(box.id);
    assert.equal(await store.firstUnseen(box.id), 2);
    assert.equal(counts.messages, 3);
    assert.equal(counts.unseen, 2);
    const after = await inbox();
    assert.equal(after.uidNext, 4);
    assert.ok(after.highestModseq > box.highestModseq);
    const rows = [];
    for await (const batch of store.fetch(box.id, [1, 2, 3], { envelope: true })) rows.push(...batch);
    assert.deepEqual(rows[0]!.flags, ['\\Seen']);
    assert.match(rows[1]!.envelope!, /"two"/);
  });

  it('searches text through the full-text index, headers, flags and sizes', async () => {
    const box = await inbox();
    assert.deepEqual(await store.search(box.id, { op: 'text', field: 'body', value: 'banana' }), [1, 3]);
    assert.deepEqual(await store.search(box.id, { op: 'text', field: 'text', value: 'ban' }), [1, 3]);
    assert.deepEqual(await store.search(box.id, { op: 'text', field: 'subject', value: 'TWO' }), [2]);
    assert.deepEqual(await store.search(box.id, { op: 'text', field: 'from', value: 'alice@' }), [1, 2, 3]);
    assert.deepEqual(await store.search(box.id, { op: 'header', name: 'subject', value: 'thr' }), [3]);
    assert.deepEqual(await store.search(box.id, { op: 'not', node: { op: 'flag', flag: '\\SEEN' } }), [2, 3]);
    assert.deepEqual(await store.search(box.id, { op: 'or', left: { op: 'uid', ranges: [{ from: 1, to: 1 }] }, right: { op: 'text', field: 'body', value: 'cherry' } }), [1, 2]);
    assert.deepEqual(await store.search(box.id, { op: 'larger', bytes: 100000 }), []);
    assert.deepEqual(await store.search(box.id, { op: 'date', field: 'sent', comparison: 'on', day: Date.UTC(2026, 10, 2) }), [1, 2, 3]);
    assert.deepEqual(await store.search(box.id, { op: 'date', field: 'sent', comparison: 'before', day: Date.UTC(2026, 10, 2) }), []);
    assert.deepEqual(await store.search(box.id, { op: 'text', field: 'body', value: '"OR NEAR(*' }), []);
  });

  it('changes flags with a new modseq, honours UNCHANGEDSINCE, and reports changes since a modseq', async () => {
    const box = await inbox();
    const before = (await inbox()).highestModseq;
    const result = await store.storeFlags(box.id, [2, 3], 'add', ['\\Flagged', '$Work']);
    assert.equal(result.changed.length, 2);
    assert.deepEqual(result.changed[0]!.flags, ['\\Flagged', '$Work']);
    const stale = await store.storeFlags(box.id, [2], 'remove', ['\\Flagged'], before);
    assert.deepEqual(stale.modified, [2]);
    const noop = await store.storeFlags(box.id, [2], 'add', ['$work']);
    assert.equal(noop.changed.length, 0, 'keywords are case-insensitive: nothing changed');
    const changes = await store.changesSince(box.id, before, 4);
    assert.deepEqual(changes.changed.map((c) => c.uid), [2, 3]);
    assert.deepEqual(changes.added, []);
  });

  it('expunges only \\Deleted messages and remembers them for QRESYNC', async () => {
    const box = await inbox();
    const before = (await inbox()).highestModseq;
    await store.storeFlags(box.id, [1], 'add', ['\\Deleted']);
    assert.deepEqual(await store.expunge(box.id, [2]), []);
    assert.deepEqual(await store.expunge(box.id), [1]);
    assert.deepEqual(await store.vanishedSince(box.id, before), [1]);
    assert.deepEqual(await store.uids(box.id), [2, 3]);
    await store.append(account, box.id, [{ raw: message('four', 'x') }]);
    assert.deepEqual(await store.uids(box.id), [2, 3, 4], 'the cached UID list follows appends');
    await store.storeFlags(box.id, [4], 'add', ['\\Deleted']);
    await store.expunge(box.id);
    assert.deepEqual(await store.uids(box.id), [2, 3], 'and expunges');
    const changes = await store.changesSince(box.id, before, 4);
    assert.deepEqual(changes.expunged, [1]);
  });

  it('copies sharing the content (same EMAILID) and moves atomically', async () => {
    const box = await inbox();
    const archive = (await store.getMailbox(account, 'Archive'))!;
    const copied = await store.copy(box.id, [2], archive.id);
    assert.deepEqual(copied.sourceUids, [2]);
    assert.deepEqual(copied.destinationUids, [1]);
    const ids = async (id: number, uids: number[]) => {
      const out = [];
      for await (const b of store.fetch(id, uids, {})) out.push(...b.map((r) => r.emailId));
      return out;
    };
    assert.deepEqual(await ids(archive.id, [1]), await ids(box.id, [2]));
    const moved = await store.move(box.id, [3], archive.id);
    assert.deepEqual(moved.destinationUids, [2]);
    assert.deepEqual(await store.uids(box.id), [2]);
    assert.deepEqual(await store.uids(archive.id), [1, 2]);
    // The moved message's flags came along.
    const rows = [];
    for await (const b of store.fetch(archive.id, [2], {})) rows.push(...b);
    assert.ok(rows[0]!.flags.includes('$Work'));
  });

  it('threads replies by References and In-Reply-To', async () => {
    const box = (await store.createMailbox(account, 'Threads'))!;
    await store.append(account, box.id, [{ raw: message('plan', 'x', ['Message-ID: <root@x>']) }]);
    await store.append(account, box.id, [{ raw: message('Re: plan', 'y', ['Message-ID: <reply@x>', 'In-Reply-To: <root@x>']) }]);
    await store.append(account, box.id, [{ raw: message('Re: Re: plan', 'z', ['Message-ID: <reply2@x>', 'References: <root@x> <reply@x>']) }]);
    await store.append(account, box.id, [{ raw: message('other', 'w', ['Message-ID: <other@x>']) }]);
    const rows = [];
    for await (const b of store.fetch(box.id, [1, 2, 3, 4], {})) rows.push(...b);
    assert.equal(rows[0]!.threadId, rows[1]!.threadId);
    assert.equal(rows[0]!.threadId, rows[2]!.threadId);
    assert.notEqual(rows[0]!.threadId, rows[3]!.threadId);
    assert.deepEqual(await store.search(box.id, { op: 'threadid', id: rows[0]!.threadId }), [1, 2, 3]);
  });

  it('renames with children, renames INBOX by moving its messages, and never reuses UIDVALIDITY', async () => {
    await store.createMailbox(account, 'Projects/2026/Q1');
    await store.renameMailbox(account, 'Projects', 'Work');
    const names = (await store.listMailboxes(account)).map((m) => m.name);
    assert.ok(names.includes('Work/2026/Q1') && !names.some((n) => n.startsWith('Projects')), names.join());
    await assert.rejects(store.renameMailbox(account, 'Work', 'Work/2026/sub'), StoreError);
    await assert.rejects(store.createMailbox(account, 'Work'), (e: StoreError) => e.code === 'ALREADYEXISTS');

    const inboxBefore = await inbox();
    const countBefore = (await store.counts(inboxBefore.id)).messages;
    await store.renameMailbox(account, 'INBOX', 'Old Inbox');
    assert.equal((await store.counts((await inbox()).id)).messages, 0);
    assert.equal((await store.counts((await store.getMailbox(account, 'Old Inbox'))!.id)).messages, countBefore);

    const a = await store.createMailbox(account, 'Temp');
    await store.deleteMailbox(account, 'Temp');
    const b = await store.createMailbox(account, 'Temp');
    assert.notEqual(a.uidValidity, b.uidValidity);
    assert.notEqual(a.objectId, b.objectId, 'MAILBOXID is never reused');
    await assert.rejects(store.deleteMailbox(account, 'INBOX'), StoreError);
  });

  it('refuses appends over quota and frees quota on delete', async () => {
    const box = await inbox();
    const big = Buffer.concat([message('big', ''), Buffer.alloc(2 * 1024 * 1024, 'a')]);
    await assert.rejects(store.append(account, box.id, [{ raw: big }]), (e: StoreError) => e.code === 'OVERQUOTA');
    const used = (await store.quota(account)).usedBytes;
    const temp = await store.createMailbox(account, 'Spill');
    await store.append(account, temp.id, [{ raw: message('spill', 'x'.repeat(1000)) }]);
    assert.ok((await store.quota(account)).usedBytes > used);
    await store.deleteMailbox(account, 'Spill');
    assert.equal((await store.quota(account)).usedBytes, used);
  });

  it('indexes text after a restart when the indexer had not run yet', async () => {
    const box = await inbox();
    await store.append(account, box.id, [{ raw: message('late index', 'pterodactyl sightings') }]);
    // A second store on the same files stands in for the process after a crash: the text is not in its memory.
    const reopened = new SqliteStore({ dataDir: dir });
    const reopenedBox = (await reopened.getMailbox(account, 'INBOX'))!;
    const hits = await reopened.search(reopenedBox.id, { op: 'text', field: 'body', value: 'pterodactyl' });
    assert.equal(hits.length, 1);
    await reopened.close();
    assert.deepEqual(await store.search(box.id, { op: 'text', field: 'body', value: 'pterodactyl' }), hits);
  });

  it('keeps writes of one batch independent: a failing write does not undo its neighbours', async () => {
    const box = await inbox();
    const big = Buffer.concat([message('big', ''), Buffer.alloc(2 * 1024 * 1024, 'a')]);
    const results = await Promise.allSettled([
      store.append(account, box.id, [{ raw: message('fine 1', 'a') }]),
      store.append(account, box.id, [{ raw: big }]),
      store.append(account, box.id, [{ raw: message('fine 2', 'b') }]),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  });
});
