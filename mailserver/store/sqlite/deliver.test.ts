import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { StoreError } from '../types.ts';
import { SqliteStore } from './store.ts';

const message = (subject: string, size = 0): Buffer =>
  Buffer.from([`From: a@example.org`, `To: many@example.test`, `Subject: ${subject}`, '', `body ${'x'.repeat(size)}`, ''].join('\r\n'));

const count = (dir: string, sql: string): number => {
  const db = new BetterSqlite3(join(dir, 'store.sqlite'), { readonly: true });
  try {
    return db.prepare(sql).pluck().get() as number;
  } finally {
    db.close();
  }
};

/** One SMTP delivery to many accounts: the bytes once, a copy (UID, flags, quota) per account. */
describe('SqliteStore.deliver', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailwerk-deliver-'));
  let store: SqliteStore;
  const accounts = ['a1', 'a2', 'a3'];

  before(async () => {
    store = new SqliteStore({ dataDir: dir });
    for (const a of accounts) await store.ensureAccount(a, 1024 * 1024);
    await store.ensureAccount('tiny', 100);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const inboxOf = async (account: string) => (await store.getMailbox(account, 'INBOX'))!;

  it('stores the message once and gives each account its own copy', async () => {
    const blobsBefore = count(dir, 'SELECT count(*) FROM blobs');
    const targets = await Promise.all(accounts.map(async (a) => ({ accountId: a, mailboxId: (await inboxOf(a)).id })));
    const outcomes = await store.deliver(targets, { raw: message('shared') });
    assert.ok(outcomes.every((o) => o.ok));
    assert.equal(count(dir, 'SELECT count(*) FROM blobs') - blobsBefore, 1, 'one blob for three recipients');
    for (const a of accounts) {
      const box = await inboxOf(a);
      assert.equal((await store.counts(box.id)).messages, 1);
      assert.equal((await store.quota(a)).messages, 1);
    }
  });

  it('keeps the shared bytes until the last copy is gone', async () => {
    const boxes = await Promise.all(accounts.map(inboxOf));
    const readRaw = async (mailboxId: number) => {
      for await (const rows of store.fetch(mailboxId, [1], { envelope: true })) return store.raw(rows[0]!.contentId);
      return null;
    };
    for (const [i, box] of boxes.entries()) {
      assert.match((await readRaw(box.id))!.toString(), /Subject: shared/);
      await store.storeFlags(box.id, [1], 'add', ['\\Deleted']);
      await store.expunge(box.id);
      const blobs = count(dir, "SELECT count(*) FROM blobs");
      if (i < boxes.length - 1) {
        assert.equal(blobs, 1, 'the others still read it');
        assert.match((await readRaw(boxes[i + 1]!.id))!.toString(), /Subject: shared/);
      } else {
        assert.equal(blobs, 0, 'the last expunge frees the bytes');
      }
    }
  });

  it('lets one full mailbox fail without stopping the others, with a flag per copy', async () => {
    const targets = [
      { accountId: 'tiny', mailboxId: (await inboxOf('tiny')).id },
      { accountId: 'a1', mailboxId: (await store.getMailbox('a1', 'Sent'))!.id, flags: ['\\Seen'] },
    ];
    const [full, sent] = await store.deliver(targets, { raw: message('big', 500) });
    assert.equal(full!.ok, false);
    assert.ok(!full!.ok && full!.error instanceof StoreError && full!.error.code === 'OVERQUOTA');
    assert.equal(sent!.ok, true);
    assert.equal((await store.counts(targets[1]!.mailboxId)).unseen, 0);
    const [alone] = await store.deliver([targets[0]!], { raw: message('nobody', 500) });
    assert.equal(alone!.ok, false);
    assert.equal(count(dir, 'SELECT count(*) FROM blobs WHERE id NOT IN (SELECT blob_id FROM contents)'), 0, 'no orphaned bytes');
  });
});

describe('store schema upgrade to shared blobs', () => {
  it('links version-1 contents to their blobs and keeps EMAILIDs unique', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailwerk-upgrade-'));
    try {
      let store = new SqliteStore({ dataDir: dir });
      await store.ensureAccount('a1', 1024 * 1024);
      const box = (await store.getMailbox('a1', 'INBOX'))!;
      await store.append('a1', box.id, [{ raw: message('old one') }, { raw: message('old two') }]);
      await store.close();
      // Turn it back into a version-1 store: contents named after their blobs, no blob_id column.
      const db = new BetterSqlite3(join(dir, 'store.sqlite'));
      db.exec(`DROP INDEX contents_blob; UPDATE contents SET id = blob_id; UPDATE content_extras SET id = (SELECT blob_id FROM contents WHERE contents.id = content_extras.id);
        UPDATE messages SET content_id = (SELECT blob_id FROM contents WHERE contents.id = messages.content_id);
        ALTER TABLE contents DROP COLUMN blob_id; UPDATE meta SET value = 1 WHERE key = 'schema'; DELETE FROM meta WHERE key = 'content_seq'`);
      db.close();
      store = new SqliteStore({ dataDir: dir });
      const ids: number[] = [];
      for await (const rows of store.fetch(box.id, [1, 2], { envelope: true })) for (const row of rows) ids.push(row.contentId);
      assert.match((await store.raw(ids[0]!)).toString(), /old one/);
      const [fresh] = await store.deliver([{ accountId: 'a1', mailboxId: box.id }], { raw: message('new') });
      assert.ok(fresh!.ok);
      const all: number[] = [];
      for await (const rows of store.fetch(box.id, [1, 2, 3], { envelope: true })) for (const row of rows) all.push(row.contentId);
      assert.equal(new Set(all).size, 3, 'the new content id does not repeat an old one');
      assert.match((await store.raw(all[2]!)).toString(), /Subject: new/);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
