import type { Database } from 'better-sqlite3';

/**
 * Schema of the embedded store. Raw messages live in their own table so that scans over metadata
 * (FETCH of 100,000 envelopes, SEARCH) never walk blob overflow pages. Contents are shared by copies
 * (EMAILID stays the same across COPY, RFC 8474) and reference-counted; a blob is shared by the contents
 * of every account one delivery reached (a message to many recipients is stored once).
 */
const SCHEMA_VERSION = 2;

const DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS accounts (
  id TEXT PRIMARY KEY,
  quota_bytes INTEGER NOT NULL,
  used_bytes INTEGER NOT NULL DEFAULT 0,
  messages INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
-- AUTOINCREMENT: MAILBOXID and EMAILID (RFC 8474) must never name something else later.
CREATE TABLE IF NOT EXISTS mailboxes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id TEXT NOT NULL,
  name TEXT NOT NULL,
  special_use TEXT,
  uid_validity INTEGER NOT NULL,
  uid_next INTEGER NOT NULL DEFAULT 1,
  highest_modseq INTEGER NOT NULL DEFAULT 1,
  recent_uid INTEGER NOT NULL DEFAULT 1,
  messages INTEGER NOT NULL DEFAULT 0,
  UNIQUE (account_id, name)
);
CREATE TABLE IF NOT EXISTS subscriptions (
  account_id TEXT NOT NULL,
  name TEXT NOT NULL,
  PRIMARY KEY (account_id, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blobs (id INTEGER PRIMARY KEY AUTOINCREMENT, raw BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS contents (
  id INTEGER PRIMARY KEY,
  blob_id INTEGER,
  account_id TEXT NOT NULL,
  refs INTEGER NOT NULL,
  size INTEGER NOT NULL,
  thread_id INTEGER NOT NULL,
  sent_date INTEGER,
  message_id TEXT,
  envelope TEXT NOT NULL,
  preview TEXT NOT NULL,
  subject TEXT NOT NULL,
  base_subject TEXT NOT NULL,
  addr_from TEXT NOT NULL,
  addr_to TEXT NOT NULL,
  addr_cc TEXT NOT NULL,
  addr_bcc TEXT NOT NULL,
  sort_from TEXT NOT NULL,
  sort_to TEXT NOT NULL,
  sort_cc TEXT NOT NULL,
  display_from TEXT NOT NULL,
  display_to TEXT NOT NULL
);
-- Large, rarely read columns live apart, so that FETCH ENVELOPE and SEARCH over 100,000 messages read
-- compact rows only.
CREATE TABLE IF NOT EXISTS content_extras (
  id INTEGER PRIMARY KEY,
  body_structure TEXT NOT NULL,
  body TEXT NOT NULL,
  refs_json TEXT NOT NULL,
  header_text TEXT NOT NULL,
  parsed TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
  mailbox_id INTEGER NOT NULL,
  uid INTEGER NOT NULL,
  content_id INTEGER NOT NULL,
  modseq INTEGER NOT NULL,
  size INTEGER NOT NULL,
  flags TEXT NOT NULL,
  internal_date INTEGER NOT NULL,
  save_date INTEGER NOT NULL,
  PRIMARY KEY (mailbox_id, uid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS messages_modseq ON messages (mailbox_id, modseq);
CREATE TABLE IF NOT EXISTS expunged (
  mailbox_id INTEGER NOT NULL,
  uid INTEGER NOT NULL,
  modseq INTEGER NOT NULL,
  PRIMARY KEY (mailbox_id, uid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS thread_ids (
  account_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  thread_id INTEGER NOT NULL,
  PRIMARY KEY (account_id, message_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fts_pending (content_id INTEGER PRIMARY KEY);
CREATE VIRTUAL TABLE IF NOT EXISTS contents_fts USING fts5(
  headers, body,
  content = '', contentless_delete = 1,
  tokenize = 'unicode61 remove_diacritics 2',
  detail = column
);
`;

export function migrate(db: Database): void {
  db.exec(DDL);
  const row = db.prepare(`SELECT value FROM meta WHERE key = 'schema'`).get() as { value: number } | undefined;
  if (row && row.value > SCHEMA_VERSION) throw new Error(`store schema ${row.value} is newer than this Mailwerk (${SCHEMA_VERSION})`);
  db.transaction(() => {
    if (row && row.value < 2) upgradeToSharedBlobs(db);
    db.exec('CREATE INDEX IF NOT EXISTS contents_blob ON contents (blob_id)');
    db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)`).run(SCHEMA_VERSION);
  })();
}

/** Version 1 named each content after its blob; version 2 links them, so one blob can serve many accounts. */
function upgradeToSharedBlobs(db: Database): void {
  const columns = (db.prepare('PRAGMA table_info(contents)').all() as Array<{ name: string }>).map((c) => c.name);
  if (!columns.includes('blob_id')) db.exec('ALTER TABLE contents ADD COLUMN blob_id INTEGER');
  db.exec('UPDATE contents SET blob_id = id WHERE blob_id IS NULL');
  // Content ids now come from their own sequence; it starts above every id a blob or content ever had.
  const highest = db.prepare(`SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'blobs'), 0), coalesce((SELECT max(id) FROM contents), 0))`).pluck().get() as number;
  db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('content_seq', ?)`).run(highest);
}
