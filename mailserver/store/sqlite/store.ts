import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';
import { parseMessageSync } from '../../mime/index.ts';
import { inThreadPreparer, type MessagePreparer, type PreparedMessage } from '../../mime/prepared.ts';
import type { MimePart, ParsedMessage } from '../../mime/types.ts';
import { applyFlagOperation, decodeFlags, encodeFlags, normalizeFlags, sameFlags } from '../flags.ts';
import { normalizeMailboxName, parentNames } from '../names.ts';
import type { SearchNode } from '../search.ts';
import {
  DEFAULT_MAILBOXES,
  MAILBOX_DELIMITER,
  StoreError,
  type AppendResult,
  type DeliveryOutcome,
  type DeliveryTarget,
  type CopyResult,
  type FetchOptions,
  type FetchRow,
  type FlagChange,
  type FlagOperation,
  type MailStore,
  type Mailbox,
  type MailboxChanges,
  type MailboxCounts,
  type MailboxEvent,
  type NewMessage,
  type QuotaUsage,
  type SortKeys,
  type SpecialUse,
  type StoreFlagsResult,
} from '../types.ts';
import { registerFunctions } from './functions.ts';
import { BackgroundCheckpointer } from './checkpointer.ts';
import { GroupCommit } from './group-commit.ts';
import { migrate } from './schema.ts';
import { compileSearch, fromClauseFor, usesTextIndex } from './search-sql.ts';
import { TextIndexer, type IndexText } from './text-index.ts';

interface MailboxRow {
  id: number;
  account_id: string;
  name: string;
  special_use: string | null;
  uid_validity: number;
  uid_next: number;
  highest_modseq: number;
  recent_uid: number;
  messages: number;
}

interface MessageRow {
  uid: number;
  content_id: number;
  modseq: number;
  size: number;
  flags: string;
  internal_date: number;
  save_date: number;
  thread_id: number;
}

/** A message parsed and serialised, with what the client asked for, ready to insert inside a write batch. */
interface PreparedForInsert extends PreparedMessage {
  raw: Buffer;
  flags: string[];
  internalDate: number;
}

const FETCH_BATCH = 2000;
const UID_CACHE_MAILBOXES = 64;

/** What a message contributes to the full-text index. */
function indexText(parsed: ParsedMessage): IndexText {
  return { headers: [parsed.subject, parsed.from, parsed.to, parsed.cc, parsed.bcc].join('\n'), body: parsed.searchText };
}

function toMailbox(row: MailboxRow): Mailbox {
  return {
    id: row.id,
    accountId: row.account_id,
    name: row.name,
    specialUse: row.special_use as SpecialUse | null,
    uidValidity: row.uid_validity,
    uidNext: row.uid_next,
    highestModseq: row.highest_modseq,
    objectId: `F${row.id}`,
  };
}

/** Ascending UID list → [from, to] ranges, so queries stay small for 1:*. */
function toRanges(uids: number[]): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const uid of uids) {
    const last = ranges[ranges.length - 1];
    if (last && uid === last[1] + 1) last[1] = uid;
    else ranges.push([uid, uid]);
  }
  return ranges;
}

export interface SqliteStoreOptions {
  /** Directory for store.sqlite. */
  dataDir: string;
  /** Where delivery parses messages (a worker pool in the server); this thread when absent. */
  preparer?: MessagePreparer;
  /** Checkpoint the WAL from a worker thread (the long-running server); short-lived tools leave it to SQLite. */
  backgroundCheckpoints?: boolean;
}

/** The embedded store: SQLite in WAL mode with synchronous=FULL and group commit. */
export class SqliteStore implements MailStore {
  private readonly db: Database;
  private readonly commit: GroupCommit;
  private readonly events = new EventEmitter();
  private readonly stmts: Record<string, Statement>;
  private readonly indexer: TextIndexer;
  private readonly preparer: MessagePreparer;
  private readonly checkpointer: BackgroundCheckpointer | null;
  /** The sequence-number maps of recently selected mailboxes, so a re-SELECT need not read 100,000 rows. */
  private readonly uidCache = new Map<number, { uidNext: number; messages: number; uids: number[] }>();

  constructor(options: SqliteStoreOptions) {
    mkdirSync(options.dataDir, { recursive: true });
    this.preparer = options.preparer ?? inThreadPreparer;
    const path = join(options.dataDir, 'store.sqlite');
    this.db = new BetterSqlite3(path);
    this.db.pragma('journal_mode = WAL');
    // FULL: every commit fsyncs the WAL, so an acknowledged write survives power loss, not only a crash.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 10000');
    this.db.pragma('cache_size = -65536');
    registerFunctions(this.db);
    migrate(this.db);
    this.commit = new GroupCommit(this.db, 2);
    this.events.setMaxListeners(0);
    this.stmts = this.prepare();
    this.indexer = new TextIndexer(this.db, this.commit, (contentId) => this.rereadText(contentId));
    this.checkpointer = options.backgroundCheckpoints ? new BackgroundCheckpointer(this.db, path) : null;
  }

  /** After a restart, pending index work reads the text from the stored message again. */
  private rereadText(contentId: number): IndexText | null {
    const row = this.stmts.blob!.get(contentId) as { raw: Buffer } | undefined;
    return row ? indexText(parseMessageSync(row.raw)) : null;
  }

  private prepare(): Record<string, Statement> {
    const p = (sql: string) => this.db.prepare(sql);
    return {
      account: p('SELECT id, quota_bytes, used_bytes, messages FROM accounts WHERE id = ?'),
      mailboxByName: p('SELECT * FROM mailboxes WHERE account_id = ? AND name = ?'),
      mailboxById: p('SELECT * FROM mailboxes WHERE id = ?'),
      mailboxes: p('SELECT * FROM mailboxes WHERE account_id = ? ORDER BY name'),
      insertMailbox: p(
        'INSERT INTO mailboxes (account_id, name, special_use, uid_validity) VALUES (?, ?, ?, ?) RETURNING *',
      ),
      bumpMailbox: p('UPDATE mailboxes SET uid_next = ?, highest_modseq = ?, messages = messages + ? WHERE id = ?'),
      insertBlob: p('INSERT INTO blobs (raw) VALUES (?)'),
      insertContent: p(`INSERT INTO contents (id, blob_id, account_id, refs, size, thread_id, sent_date, message_id, envelope,
          preview, subject, base_subject, addr_from, addr_to, addr_cc, addr_bcc, sort_from, sort_to,
          sort_cc, display_from, display_to)
        VALUES (@id, @blobId, @account, 1, @size, @thread, @sentDate, @messageId, @envelope, @preview,
          @subject, @baseSubject, @from, @to, @cc, @bcc, @sortFrom, @sortTo, @sortCc, @displayFrom, @displayTo)`),
      insertExtras: p(`INSERT INTO content_extras (id, body_structure, body, refs_json, header_text, parsed)
        VALUES (@id, @bodyStructure, @body, @refs, @headerText, @parsed)`),
      deleteExtras: p('DELETE FROM content_extras WHERE id = ?'),
      threadOf: p('SELECT thread_id FROM thread_ids WHERE account_id = ? AND message_id = ?'),
      insertThreadId: p('INSERT OR IGNORE INTO thread_ids (account_id, message_id, thread_id) VALUES (?, ?, ?)'),
      insertMessage: p(`INSERT INTO messages (mailbox_id, uid, content_id, modseq, size, flags, internal_date, save_date)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      addUsage: p('UPDATE accounts SET used_bytes = used_bytes + ?, messages = messages + ? WHERE id = ?'),
      messageRows: p(`SELECT m.uid, m.content_id, m.modseq, m.size, m.flags, m.internal_date, m.save_date, c.thread_id
        FROM messages m JOIN contents c ON c.id = m.content_id
        WHERE m.mailbox_id = ? AND m.uid BETWEEN ? AND ? ORDER BY m.uid`),
      updateFlags: p('UPDATE messages SET flags = ?, modseq = ? WHERE mailbox_id = ? AND uid = ?'),
      deleteMessage: p('DELETE FROM messages WHERE mailbox_id = ? AND uid = ?'),
      recordExpunge: p('INSERT OR REPLACE INTO expunged (mailbox_id, uid, modseq) VALUES (?, ?, ?)'),
      addRef: p('UPDATE contents SET refs = refs + 1 WHERE id = ?'),
      dropRef: p('UPDATE contents SET refs = refs - 1 WHERE id = ? RETURNING refs'),
      deleteContent: p('DELETE FROM contents WHERE id = ?'),
      // A blob goes with the last content that uses it (one delivery to many accounts shares one blob).
      deleteBlob: p('DELETE FROM blobs WHERE id = @blob AND NOT EXISTS (SELECT 1 FROM contents WHERE blob_id = @blob)'),
      blobOf: p('SELECT blob_id FROM contents WHERE id = ?').pluck(),
      blob: p('SELECT raw FROM blobs WHERE id = (SELECT blob_id FROM contents WHERE id = ?)'),
      tree: p('SELECT parsed FROM content_extras WHERE id = ?'),
      uids: p('SELECT uid FROM messages WHERE mailbox_id = ? ORDER BY uid').pluck(),
      meta: p('SELECT value FROM meta WHERE key = ?').pluck(),
      setMeta: p('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
    };
  }

  // ---- accounts -------------------------------------------------------------------------------

  async ensureAccount(accountId: string, quotaBytes: number): Promise<void> {
    // Every login calls this: answer from a read when the account exists, without a commit and its fsync.
    if (this.stmts.account!.get(accountId)) return;
    await this.commit.write(() => {
      if (this.stmts.account!.get(accountId)) return;
      this.db.prepare('INSERT INTO accounts (id, quota_bytes) VALUES (?, ?)').run(accountId, quotaBytes);
      for (const mailbox of DEFAULT_MAILBOXES) {
        this.insertMailbox(accountId, mailbox.name, mailbox.specialUse);
        this.db.prepare('INSERT OR IGNORE INTO subscriptions (account_id, name) VALUES (?, ?)').run(accountId, mailbox.name);
      }
    });
  }

  async setQuota(accountId: string, quotaBytes: number): Promise<void> {
    await this.commit.write(() => {
      this.db.prepare('UPDATE accounts SET quota_bytes = ? WHERE id = ?').run(quotaBytes, accountId);
    });
  }

  async deleteAccount(accountId: string): Promise<void> {
    await this.commit.write(() => {
      const boxes = this.stmts.mailboxes!.all(accountId) as MailboxRow[];
      for (const box of boxes) this.removeMailboxRows(box.id);
      this.db.prepare('DELETE FROM mailboxes WHERE account_id = ?').run(accountId);
      this.db.prepare('DELETE FROM subscriptions WHERE account_id = ?').run(accountId);
      this.db.prepare('DELETE FROM thread_ids WHERE account_id = ?').run(accountId);
      this.db.prepare('DELETE FROM accounts WHERE id = ?').run(accountId);
    });
  }

  async quota(accountId: string): Promise<QuotaUsage> {
    const row = this.stmts.account!.get(accountId) as
      | { quota_bytes: number; used_bytes: number; messages: number }
      | undefined;
    if (!row) throw new StoreError('NONEXISTENT', 'No such account');
    return { usedBytes: row.used_bytes, limitBytes: row.quota_bytes, messages: row.messages };
  }

  // ---- mailboxes ------------------------------------------------------------------------------

  /** UIDVALIDITY must never repeat for a name, even after DELETE and CREATE in the same second. */
  private nextUidValidity(): number {
    const last = (this.stmts.meta!.get('uidvalidity') as number | undefined) ?? 0;
    const next = Math.max(last + 1, Math.floor(Date.now() / 1000));
    this.stmts.setMeta!.run('uidvalidity', next);
    return next;
  }

  private insertMailbox(accountId: string, name: string, specialUse: SpecialUse | null): MailboxRow {
    return this.stmts.insertMailbox!.get(accountId, name, specialUse, this.nextUidValidity()) as MailboxRow;
  }

  private requireName(name: string): string {
    const check = normalizeMailboxName(name);
    if (!check.ok) throw new StoreError('CANNOT', check.reason);
    return check.name;
  }

  private mailboxRow(accountId: string, name: string): MailboxRow | undefined {
    return this.stmts.mailboxByName!.get(accountId, name) as MailboxRow | undefined;
  }

  private requireMailboxById(id: number): MailboxRow {
    const row = this.stmts.mailboxById!.get(id) as MailboxRow | undefined;
    if (!row) throw new StoreError('NONEXISTENT', 'Mailbox does not exist (it was deleted)');
    return row;
  }

  async listMailboxes(accountId: string): Promise<Mailbox[]> {
    return (this.stmts.mailboxes!.all(accountId) as MailboxRow[]).map(toMailbox);
  }

  async getMailbox(accountId: string, name: string): Promise<Mailbox | null> {
    const check = normalizeMailboxName(name);
    if (!check.ok) return null;
    const row = this.mailboxRow(accountId, check.name);
    return row ? toMailbox(row) : null;
  }

  async createMailbox(accountId: string, name: string, specialUse: SpecialUse | null = null): Promise<Mailbox> {
    const normalized = this.requireName(name);
    const row = await this.commit.write(() => {
      if (this.mailboxRow(accountId, normalized)) throw new StoreError('ALREADYEXISTS', 'Mailbox already exists');
      for (const parent of parentNames(normalized)) {
        if (!this.mailboxRow(accountId, parent)) this.insertMailbox(accountId, parent, null);
      }
      return this.insertMailbox(accountId, normalized, specialUse);
    });
    this.notify(accountId, row.id);
    return toMailbox(row);
  }

  async deleteMailbox(accountId: string, name: string): Promise<void> {
    const normalized = this.requireName(name);
    if (normalized === 'INBOX') throw new StoreError('CANNOT', 'INBOX cannot be deleted');
    const id = await this.commit.write(() => {
      const row = this.mailboxRow(accountId, normalized);
      if (!row) throw new StoreError('NONEXISTENT', 'Mailbox does not exist');
      this.removeMailboxRows(row.id);
      this.db.prepare('DELETE FROM mailboxes WHERE id = ?').run(row.id);
      return row.id;
    });
    this.notify(accountId, id);
  }

  /** Drop every message of a mailbox, releasing contents and quota. */
  private removeMailboxRows(mailboxId: number): void {
    const rows = this.db
      .prepare('SELECT m.uid, m.content_id, m.size, b.account_id FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE m.mailbox_id = ?')
      .all(mailboxId) as Array<{ uid: number; content_id: number; size: number; account_id: string }>;
    for (const row of rows) {
      this.stmts.deleteMessage!.run(mailboxId, row.uid);
      this.releaseContent(row.content_id);
      this.stmts.addUsage!.run(-row.size, -1, row.account_id);
    }
    this.db.prepare('DELETE FROM expunged WHERE mailbox_id = ?').run(mailboxId);
  }

  async renameMailbox(accountId: string, from: string, to: string): Promise<void> {
    const source = this.requireName(from);
    const target = this.requireName(to);
    const touched = await this.commit.write(() => {
      const row = this.mailboxRow(accountId, source);
      if (!row) throw new StoreError('NONEXISTENT', 'Mailbox does not exist');
      if (this.mailboxRow(accountId, target)) throw new StoreError('ALREADYEXISTS', 'Target mailbox already exists');
      if (target.startsWith(source + MAILBOX_DELIMITER)) throw new StoreError('CANNOT', 'Cannot move a mailbox into itself');
      for (const parent of parentNames(target)) {
        if (!this.mailboxRow(accountId, parent)) this.insertMailbox(accountId, parent, null);
      }
      if (source === 'INBOX') return this.renameInbox(accountId, row, target);
      const children = (this.stmts.mailboxes!.all(accountId) as MailboxRow[]).filter((m) =>
        m.name.startsWith(source + MAILBOX_DELIMITER),
      );
      const rename = this.db.prepare('UPDATE mailboxes SET name = ? WHERE id = ?');
      rename.run(target, row.id);
      for (const child of children) rename.run(target + child.name.slice(source.length), child.id);
      return [row.id, ...children.map((c) => c.id)];
    });
    for (const id of touched) this.notify(accountId, id);
  }

  /** RFC 3501 §6.3.5: renaming INBOX moves its messages to a new mailbox; INBOX stays, empty. */
  private renameInbox(accountId: string, inbox: MailboxRow, target: string): number[] {
    const created = this.insertMailbox(accountId, target, null);
    const rows = this.db.prepare('SELECT uid FROM messages WHERE mailbox_id = ? ORDER BY uid').pluck().all(inbox.id) as number[];
    if (rows.length > 0) this.moveRows(inbox, rows, created);
    return [inbox.id, created.id];
  }

  async subscriptions(accountId: string): Promise<string[]> {
    return this.db.prepare('SELECT name FROM subscriptions WHERE account_id = ? ORDER BY name').pluck().all(accountId) as string[];
  }

  async setSubscribed(accountId: string, name: string, subscribed: boolean): Promise<void> {
    const normalized = this.requireName(name);
    await this.commit.write(() => {
      if (subscribed) this.db.prepare('INSERT OR IGNORE INTO subscriptions (account_id, name) VALUES (?, ?)').run(accountId, normalized);
      else this.db.prepare('DELETE FROM subscriptions WHERE account_id = ? AND name = ?').run(accountId, normalized);
    });
  }

  async counts(mailboxId: number): Promise<MailboxCounts> {
    const box = this.requireMailboxById(mailboxId);
    const row = this.db
      .prepare(
        `SELECT count(*) AS messages,
           coalesce(sum(instr(' ' || lower(flags) || ' ', ' \\seen ') = 0), 0) AS unseen,
           coalesce(sum(instr(' ' || lower(flags) || ' ', ' \\deleted ') > 0), 0) AS deleted,
           coalesce(sum(size), 0) AS size,
           coalesce(sum(uid >= ?), 0) AS recent
         FROM messages WHERE mailbox_id = ?`,
      )
      .get(box.recent_uid, mailboxId) as MailboxCounts;
    return row;
  }

  async uids(mailboxId: number): Promise<number[]> {
    // UIDs only grow, so UIDNEXT and the message count together say whether the set changed since it was cached.
    const box = this.requireMailboxById(mailboxId);
    const cached = this.uidCache.get(mailboxId);
    if (cached && cached.uidNext === box.uid_next && cached.messages === box.messages) return cached.uids.slice();
    const uids = this.stmts.uids!.all(mailboxId) as number[];
    if (this.uidCache.size >= UID_CACHE_MAILBOXES) this.uidCache.delete(this.uidCache.keys().next().value!);
    this.uidCache.set(mailboxId, { uidNext: box.uid_next, messages: box.messages, uids });
    return uids.slice();
  }

  async claimRecent(mailboxId: number): Promise<number> {
    // Nothing new since the last claim (the common case): no write, no fsync.
    const box = this.requireMailboxById(mailboxId);
    if (box.recent_uid >= box.uid_next) return box.recent_uid;
    return this.commit.write(() => {
      const current = this.requireMailboxById(mailboxId);
      this.db.prepare('UPDATE mailboxes SET recent_uid = ? WHERE id = ?').run(current.uid_next, mailboxId);
      return current.recent_uid;
    });
  }

  async firstUnseen(mailboxId: number): Promise<number | null> {
    const uid = this.db
      .prepare(`SELECT uid FROM messages WHERE mailbox_id = ? AND instr(' ' || lower(flags) || ' ', ' \\seen ') = 0 ORDER BY uid LIMIT 1`)
      .pluck()
      .get(mailboxId) as number | undefined;
    return uid ?? null;
  }

  // ---- messages -------------------------------------------------------------------------------

  private async prepareMessage(message: NewMessage): Promise<PreparedForInsert> {
    const prepared = await this.preparer.prepare(message.raw);
    return {
      ...prepared,
      raw: message.raw,
      flags: normalizeFlags(message.flags ?? []),
      internalDate: message.internalDate ?? Date.now(),
    };
  }

  async append(accountId: string, mailboxId: number, messages: NewMessage[]): Promise<AppendResult> {
    const prepared = await Promise.all(messages.map((m) => this.prepareMessage(m)));
    const result = await this.commit.write(() => {
      const box = this.requireMailboxById(mailboxId);
      if (box.account_id !== accountId) throw new StoreError('NONEXISTENT', 'Mailbox does not exist');
      const total = prepared.reduce((sum, m) => sum + m.raw.length, 0);
      this.checkQuota(accountId, total);
      const modseq = box.highest_modseq + 1;
      let uid = box.uid_next;
      const uids: number[] = [];
      const now = Date.now();
      for (const message of prepared) {
        const blobId = Number(this.stmts.insertBlob!.run(message.raw).lastInsertRowid);
        const contentId = this.insertContent(accountId, message, blobId);
        this.stmts.insertMessage!.run(mailboxId, uid, contentId, modseq, message.raw.length, encodeFlags(message.flags), message.internalDate, now);
        uids.push(uid++);
      }
      this.stmts.bumpMailbox!.run(uid, modseq, prepared.length, mailboxId);
      this.stmts.addUsage!.run(total, prepared.length, accountId);
      return { uidValidity: box.uid_validity, uids };
    });
    this.notify(accountId, mailboxId);
    return result;
  }

  async deliver(targets: DeliveryTarget[], message: NewMessage): Promise<DeliveryOutcome[]> {
    if (targets.length === 0) return [];
    const prepared = await this.prepareMessage(message);
    const outcomes = await this.commit.write(() => {
      // The bytes once; then, per account, its own index rows in a savepoint, so one full mailbox does
      // not stop the others.
      const blobId = Number(this.stmts.insertBlob!.run(prepared.raw).lastInsertRowid);
      const results = targets.map((target): DeliveryOutcome => {
        try {
          return { ok: true, ...this.db.transaction(() => this.insertDelivered(target, prepared, blobId))() };
        } catch (error) {
          return { ok: false, error };
        }
      });
      if (results.every((r) => !r.ok)) this.stmts.deleteBlob!.run({ blob: blobId });
      return results;
    });
    targets.forEach((target, i) => {
      if (outcomes[i]!.ok) this.notify(target.accountId, target.mailboxId);
    });
    return outcomes;
  }

  private insertDelivered(target: DeliveryTarget, message: PreparedForInsert, blobId: number): { uidValidity: number; uid: number } {
    const box = this.requireMailboxById(target.mailboxId);
    if (box.account_id !== target.accountId) throw new StoreError('NONEXISTENT', 'Mailbox does not exist');
    this.checkQuota(target.accountId, message.raw.length);
    const contentId = this.insertContent(target.accountId, message, blobId);
    const modseq = box.highest_modseq + 1;
    const flags = target.flags ? normalizeFlags(target.flags) : message.flags;
    this.stmts.insertMessage!.run(target.mailboxId, box.uid_next, contentId, modseq, message.raw.length, encodeFlags(flags), message.internalDate, Date.now());
    this.stmts.bumpMailbox!.run(box.uid_next + 1, modseq, 1, target.mailboxId);
    this.stmts.addUsage!.run(message.raw.length, 1, target.accountId);
    return { uidValidity: box.uid_validity, uid: box.uid_next };
  }

  private checkQuota(accountId: string, addBytes: number): void {
    const account = this.stmts.account!.get(accountId) as { quota_bytes: number; used_bytes: number } | undefined;
    if (!account) throw new StoreError('NONEXISTENT', 'No such account');
    if (account.quota_bytes > 0 && account.used_bytes + addBytes > account.quota_bytes) {
      throw new StoreError('OVERQUOTA', `Mailbox is full: ${account.used_bytes} of ${account.quota_bytes} bytes used`);
    }
  }

  /** THREADID: the thread of the first referenced message we hold, else a new thread. */
  private threadFor(accountId: string, parsed: ParsedMessage, contentId: number): number {
    const candidates = [...parsed.inReplyTo, ...[...parsed.references].reverse()];
    for (const id of candidates) {
      const row = this.stmts.threadOf!.get(accountId, id) as { thread_id: number } | undefined;
      if (row) return row.thread_id;
    }
    if (parsed.messageId) {
      const row = this.stmts.threadOf!.get(accountId, parsed.messageId) as { thread_id: number } | undefined;
      if (row) return row.thread_id;
    }
    return contentId;
  }

  /** Content ids (EMAILID) come from a sequence that never goes back, so an id never names another message. */
  private nextContentId(): number {
    const next = ((this.stmts.meta!.get('content_seq') as number | undefined) ?? 0) + 1;
    this.stmts.setMeta!.run('content_seq', next);
    return next;
  }

  private insertContent(accountId: string, message: PreparedForInsert, blobId: number): number {
    const { parsed } = message;
    const contentId = this.nextContentId();
    const thread = this.threadFor(accountId, parsed, contentId);
    this.stmts.insertContent!.run({
      id: contentId,
      blobId,
      account: accountId,
      size: message.raw.length,
      thread,
      sentDate: parsed.sentDate,
      messageId: parsed.messageId,
      envelope: message.envelope,
      preview: parsed.preview,
      subject: parsed.subject,
      baseSubject: parsed.baseSubject,
      from: parsed.from,
      to: parsed.to,
      cc: parsed.cc,
      bcc: parsed.bcc,
      sortFrom: parsed.sortFrom,
      sortTo: parsed.sortTo,
      sortCc: parsed.sortCc,
      displayFrom: parsed.displayFrom,
      displayTo: parsed.displayTo,
    });
    this.stmts.insertExtras!.run({
      id: contentId,
      bodyStructure: message.bodyStructure,
      body: message.body,
      refs: JSON.stringify(parsed.references.length ? parsed.references : parsed.inReplyTo),
      headerText: parsed.headerText,
      parsed: JSON.stringify(parsed.root),
    });
    this.indexer.enqueue(contentId, indexText(parsed));
    if (parsed.messageId) this.stmts.insertThreadId!.run(accountId, parsed.messageId, thread);
    return contentId;
  }

  private releaseContent(contentId: number): void {
    const row = this.stmts.dropRef!.get(contentId) as { refs: number } | undefined;
    if (row && row.refs <= 0) {
      const blobId = this.stmts.blobOf!.get(contentId) as number;
      this.stmts.deleteContent!.run(contentId);
      this.stmts.deleteExtras!.run(contentId);
      this.stmts.deleteBlob!.run({ blob: blobId });
      this.indexer.forget(contentId);
    }
  }

  /** Message rows for an ascending UID list, read range by range. */
  private rowsFor(mailboxId: number, uids: number[]): MessageRow[] {
    const wanted = new Set(uids);
    const rows: MessageRow[] = [];
    for (const [from, to] of toRanges(uids)) {
      for (const row of this.stmts.messageRows!.all(mailboxId, from, to) as MessageRow[]) {
        if (wanted.has(row.uid)) rows.push(row);
      }
    }
    return rows;
  }

  async *fetch(mailboxId: number, uids: number[], options: FetchOptions): AsyncIterable<FetchRow[]> {
    const columns = [
      'm.uid, m.content_id, m.modseq, m.size, m.flags, m.internal_date, m.save_date, c.thread_id',
      options.envelope ? 'c.envelope' : null,
      options.bodyStructure ? 'x.body_structure, x.body' : null,
      options.preview ? 'c.preview' : null,
    ]
      .filter(Boolean)
      .join(', ');
    const extras = options.bodyStructure ? ' JOIN content_extras x ON x.id = m.content_id' : '';
    const statement = this.db.prepare(
      `SELECT ${columns} FROM messages m JOIN contents c ON c.id = m.content_id${extras}
       WHERE m.mailbox_id = ? AND m.uid BETWEEN ? AND ? ORDER BY m.uid LIMIT ${FETCH_BATCH}`,
    );
    // Keyset paging, one short statement per batch: a better-sqlite3 iterator must not stay open across an await.
    for (const [from, to] of toRanges(uids)) {
      let next = from;
      while (next <= to) {
        const rows = statement.all(mailboxId, next, to) as Array<MessageRow & Record<string, unknown>>;
        if (rows.length === 0) break;
        const batch = rows.map((row) => this.toFetchRow(row));
        next = rows[rows.length - 1]!.uid + 1;
        yield batch;
        if (rows.length < FETCH_BATCH) break;
      }
    }
  }

  private toFetchRow(row: MessageRow & Record<string, unknown>): FetchRow {
    const result: FetchRow = {
      uid: row.uid,
      modseq: row.modseq,
      flags: decodeFlags(row.flags),
      internalDate: row.internal_date,
      saveDate: row.save_date,
      size: row.size,
      emailId: `M${row.content_id}`,
      threadId: `T${row.thread_id}`,
      contentId: row.content_id,
    };
    if (row.envelope !== undefined) result.envelope = row.envelope as string;
    if (row.body_structure !== undefined) {
      result.bodyStructure = row.body_structure as string;
      result.body = row.body as string;
    }
    if (row.preview !== undefined) result.preview = row.preview as string;
    return result;
  }

  async raw(contentId: number): Promise<Buffer> {
    const row = this.stmts.blob!.get(contentId) as { raw: Buffer } | undefined;
    if (!row) throw new StoreError('NONEXISTENT', 'Message no longer exists');
    return row.raw;
  }

  async mimeTree(contentId: number): Promise<MimePart> {
    const row = this.stmts.tree!.get(contentId) as { parsed: string } | undefined;
    if (!row) throw new StoreError('NONEXISTENT', 'Message no longer exists');
    return JSON.parse(row.parsed) as MimePart;
  }

  async storeFlags(
    mailboxId: number,
    uids: number[],
    operation: FlagOperation,
    flags: string[],
    unchangedSince?: number,
  ): Promise<StoreFlagsResult> {
    const result = await this.commit.write(() => {
      const box = this.requireMailboxById(mailboxId);
      const modseq = box.highest_modseq + 1;
      const changed: FlagChange[] = [];
      const modified: number[] = [];
      for (const row of this.rowsFor(mailboxId, uids)) {
        if (unchangedSince !== undefined && row.modseq > unchangedSince) {
          modified.push(row.uid);
          continue;
        }
        const current = decodeFlags(row.flags);
        const next = applyFlagOperation(current, operation, flags);
        if (sameFlags(current, next)) continue;
        this.stmts.updateFlags!.run(encodeFlags(next), modseq, mailboxId, row.uid);
        changed.push({ uid: row.uid, modseq, flags: next });
      }
      if (changed.length > 0) this.stmts.bumpMailbox!.run(box.uid_next, modseq, 0, mailboxId);
      return { changed, modified, accountId: box.account_id };
    });
    if (result.changed.length > 0) this.notify(result.accountId, mailboxId);
    return { changed: result.changed, modified: result.modified };
  }

  async expunge(mailboxId: number, uids?: number[]): Promise<number[]> {
    const result = await this.commit.write(() => {
      const box = this.requireMailboxById(mailboxId);
      const candidates = uids ?? (this.stmts.uids!.all(mailboxId) as number[]);
      const doomed = this.rowsFor(mailboxId, candidates).filter((row) =>
        decodeFlags(row.flags).some((f) => f.toLowerCase() === '\\deleted'),
      );
      if (doomed.length > 0) this.removeRows(box, doomed);
      return { uids: doomed.map((r) => r.uid), accountId: box.account_id };
    });
    if (result.uids.length > 0) this.notify(result.accountId, mailboxId);
    return result.uids;
  }

  /** Delete rows from a mailbox, remembering them for QRESYNC and releasing contents and quota. */
  private removeRows(box: MailboxRow, rows: MessageRow[]): void {
    const modseq = this.requireMailboxById(box.id).highest_modseq + 1;
    let bytes = 0;
    for (const row of rows) {
      this.stmts.deleteMessage!.run(box.id, row.uid);
      this.stmts.recordExpunge!.run(box.id, row.uid, modseq);
      this.releaseContent(row.content_id);
      bytes += row.size;
    }
    const current = this.requireMailboxById(box.id);
    this.stmts.bumpMailbox!.run(current.uid_next, modseq, -rows.length, box.id);
    this.stmts.addUsage!.run(-bytes, -rows.length, box.account_id);
  }

  /** Copy rows into another mailbox of the same account, sharing contents. */
  private copyRows(rows: MessageRow[], target: MailboxRow): CopyResult {
    const bytes = rows.reduce((sum, r) => sum + r.size, 0);
    const modseq = target.highest_modseq + 1;
    let uid = target.uid_next;
    const now = Date.now();
    const destinationUids: number[] = [];
    for (const row of rows) {
      this.stmts.addRef!.run(row.content_id);
      this.stmts.insertMessage!.run(target.id, uid, row.content_id, modseq, row.size, row.flags, row.internal_date, now);
      destinationUids.push(uid++);
    }
    this.stmts.bumpMailbox!.run(uid, modseq, rows.length, target.id);
    this.stmts.addUsage!.run(bytes, rows.length, target.account_id);
    return { uidValidity: target.uid_validity, sourceUids: rows.map((r) => r.uid), destinationUids };
  }

  private moveRows(source: MailboxRow, uids: number[], target: MailboxRow): CopyResult {
    const rows = this.rowsFor(source.id, uids);
    const result = this.copyRows(rows, target);
    this.removeRows(source, rows);
    return result;
  }

  private copyOrMove(sourceId: number, uids: number[], targetId: number, move: boolean): Promise<CopyResult & { accountId: string }> {
    return this.commit.write(() => {
      const source = this.requireMailboxById(sourceId);
      const target = this.requireMailboxById(targetId);
      if (source.account_id !== target.account_id) throw new StoreError('NONEXISTENT', 'Mailbox does not exist');
      const rows = this.rowsFor(sourceId, uids);
      if (!move) this.checkQuota(target.account_id, rows.reduce((s, r) => s + r.size, 0));
      if (move && sourceId === targetId) throw new StoreError('CANNOT', 'Source and destination are the same mailbox');
      const result = move ? this.moveRows(source, uids, target) : this.copyRows(rows, target);
      return { ...result, accountId: source.account_id };
    });
  }

  async copy(sourceMailboxId: number, uids: number[], destinationMailboxId: number): Promise<CopyResult> {
    const { accountId, ...result } = await this.copyOrMove(sourceMailboxId, uids, destinationMailboxId, false);
    this.notify(accountId, destinationMailboxId);
    return result;
  }

  async move(sourceMailboxId: number, uids: number[], destinationMailboxId: number): Promise<CopyResult> {
    const { accountId, ...result } = await this.copyOrMove(sourceMailboxId, uids, destinationMailboxId, true);
    this.notify(accountId, destinationMailboxId);
    this.notify(accountId, sourceMailboxId);
    return result;
  }

  async search(mailboxId: number, query: SearchNode): Promise<number[]> {
    if (usesTextIndex(query)) await this.indexer.flush();
    const where = compileSearch(query);
    return this.db
      .prepare(`SELECT m.uid FROM ${fromClauseFor(where.sql)} WHERE m.mailbox_id = ? AND (${where.sql}) ORDER BY m.uid`)
      .pluck()
      .all(mailboxId, ...where.params) as number[];
  }

  async sortKeys(mailboxId: number, uids: number[]): Promise<SortKeys[]> {
    const statement = this.db.prepare(
      `SELECT m.uid, m.internal_date, c.sent_date, m.size, c.base_subject, c.sort_from, c.sort_to, c.sort_cc,
         c.display_from, c.display_to, c.message_id, x.refs_json
       FROM messages m JOIN contents c ON c.id = m.content_id JOIN content_extras x ON x.id = m.content_id
       WHERE m.mailbox_id = ? AND m.uid BETWEEN ? AND ? ORDER BY m.uid`,
    );
    const wanted = new Set(uids);
    const keys: SortKeys[] = [];
    for (const [from, to] of toRanges(uids)) {
      for (const r of statement.all(mailboxId, from, to) as Array<Record<string, any>>) {
        if (!wanted.has(r.uid)) continue;
        keys.push({
          uid: r.uid,
          internalDate: r.internal_date,
          sentDate: r.sent_date,
          size: r.size,
          baseSubject: r.base_subject,
          sortFrom: r.sort_from,
          sortTo: r.sort_to,
          sortCc: r.sort_cc,
          displayFrom: r.display_from,
          displayTo: r.display_to,
          messageId: r.message_id,
          references: JSON.parse(r.refs_json) as string[],
        });
      }
    }
    return keys;
  }

  async changesSince(mailboxId: number, modseq: number, knownUidNext: number): Promise<MailboxChanges> {
    const box = this.requireMailboxById(mailboxId);
    if (box.highest_modseq <= modseq && box.uid_next <= knownUidNext) {
      return { highestModseq: box.highest_modseq, added: [], expunged: [], changed: [] };
    }
    const added = this.db
      .prepare('SELECT uid FROM messages WHERE mailbox_id = ? AND uid >= ? ORDER BY uid')
      .pluck()
      .all(mailboxId, knownUidNext) as number[];
    const expunged = this.db
      .prepare('SELECT uid FROM expunged WHERE mailbox_id = ? AND modseq > ? AND uid < ? ORDER BY uid')
      .pluck()
      .all(mailboxId, modseq, knownUidNext) as number[];
    const changed = (
      this.db
        .prepare('SELECT uid, modseq, flags FROM messages WHERE mailbox_id = ? AND modseq > ? AND uid < ? ORDER BY uid')
        .all(mailboxId, modseq, knownUidNext) as Array<{ uid: number; modseq: number; flags: string }>
    ).map((r) => ({ uid: r.uid, modseq: r.modseq, flags: decodeFlags(r.flags) }));
    return { highestModseq: box.highest_modseq, added, expunged, changed };
  }

  async vanishedSince(mailboxId: number, modseq: number): Promise<number[]> {
    return this.db
      .prepare('SELECT uid FROM expunged WHERE mailbox_id = ? AND modseq > ? ORDER BY uid')
      .pluck()
      .all(mailboxId, modseq) as number[];
  }

  // ---- notifications --------------------------------------------------------------------------

  watch(accountId: string, listener: (event: MailboxEvent) => void): () => void {
    this.events.on(accountId, listener);
    return () => this.events.off(accountId, listener);
  }

  private notify(accountId: string, mailboxId: number): void {
    this.events.emit(accountId, { accountId, mailboxId } satisfies MailboxEvent);
  }

  async close(): Promise<void> {
    // Index what is pending (cheap now, a re-parse after restart otherwise), then let the last batch commit.
    await this.indexer.flush();
    this.indexer.stop();
    await this.commit.write(() => undefined);
    await this.checkpointer?.stop();
    this.db.close();
  }
}
