import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';
import { GroupCommit } from '../store/sqlite/group-commit.ts';
import type { NewQueuedMessage, NotifyOn, QueuedMessage, QueuedRecipient, QueueOrigin, RecipientState } from './types.ts';
import { StatementCache } from '../store/sqlite/statement-cache.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS queue_messages (
  id TEXT PRIMARY KEY,
  sender TEXT NOT NULL,
  origin TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  envelope_id TEXT,
  return_full INTEGER NOT NULL DEFAULT 0,
  raw BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS queue_recipients (
  message_id TEXT NOT NULL REFERENCES queue_messages(id) ON DELETE CASCADE,
  address TEXT NOT NULL,
  domain TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  warned INTEGER NOT NULL DEFAULT 0,
  notify TEXT,
  orcpt TEXT,
  PRIMARY KEY (message_id, address)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS queue_due ON queue_recipients(state, next_attempt_at);
`;

interface MessageRow {
  id: string;
  sender: string;
  origin: string;
  created_at: number;
  envelope_id: string | null;
  return_full: number;
  size: number;
}

interface RecipientRow {
  message_id: string;
  address: string;
  domain: string;
  state: string;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  warned: number;
  notify: string | null;
  orcpt: string | null;
}

/** A recipient's new state after an attempt, written together with any bounces it caused. */
export interface RecipientUpdate {
  messageId: string;
  address: string;
  state: RecipientState;
  /** Counted as an attempt (false for a delay warning being recorded). */
  attempted: boolean;
  nextAttemptAt?: number;
  lastError?: string;
  warned?: boolean;
}

const domainOf = (address: string): string => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

/** Sortable by arrival, unguessable enough to be a reference in logs and bounces. */
const newQueueId = (): string => Date.now().toString(36).toUpperCase() + randomBytes(4).toString('hex').toUpperCase();

const toRecipient = (row: RecipientRow): QueuedRecipient => ({
  messageId: row.message_id,
  address: row.address,
  domain: row.domain,
  state: row.state as RecipientState,
  attempts: row.attempts,
  nextAttemptAt: row.next_attempt_at,
  lastError: row.last_error,
  warned: row.warned === 1,
  notify: row.notify ? (row.notify.split(',') as NotifyOn[]) : null,
  orcpt: row.orcpt,
});

/**
 * The outbound queue on disk (DATA/queue.sqlite, WAL, synchronous=FULL): a message is queued only once
 * its bytes and every recipient are committed, which is when submission may answer 250. Writes in one
 * event-loop turn share one commit, like the mail store's.
 */
export class QueueDb {
  private readonly db: Database;
  private readonly commits: GroupCommit;
  private readonly statements: StatementCache;

  constructor(dataDir: string) {
    this.db = new BetterSqlite3(join(dataDir, 'queue.sqlite'));
    this.statements = new StatementCache(this.db);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.migrate();
    this.commits = new GroupCommit(this.db);
  }

  /** Statements are prepared once (StatementCache): the runner asks for due messages and records results all day. */
  private stmt(sql: string): Statement {
    return this.statements.get(sql);
  }

  /** Columns added after the first release (DSN parameters); older queues gain them on open. */
  private migrate(): void {
    const columns = (this.db.prepare('PRAGMA table_info(queue_recipients)').all() as Array<{ name: string }>).map((c) => c.name);
    if (!columns.includes('notify')) this.db.exec('ALTER TABLE queue_recipients ADD COLUMN notify TEXT');
    if (!columns.includes('orcpt')) this.db.exec('ALTER TABLE queue_recipients ADD COLUMN orcpt TEXT');
  }

  /** Resolves with the queue id once the message is durable. */
  enqueue(message: NewQueuedMessage, now = Date.now()): Promise<string> {
    return this.commits.write(() => this.insert(message, now));
  }

  /** Record attempt results and enqueue the bounces they caused in one commit, so neither is lost alone. */
  record(updates: RecipientUpdate[], bounces: NewQueuedMessage[], now = Date.now()): Promise<string[]> {
    return this.commits.write(() => {
      const update = this.stmt(
        `UPDATE queue_recipients SET state = ?, attempts = attempts + ?, next_attempt_at = coalesce(?, next_attempt_at),
           last_error = coalesce(?, last_error), warned = max(warned, ?) WHERE message_id = ? AND address = ?`,
      );
      const touched = new Set<string>();
      for (const u of updates) {
        update.run(u.state, u.attempted ? 1 : 0, u.nextAttemptAt ?? null, u.lastError ?? null, u.warned ? 1 : 0, u.messageId, u.address);
        touched.add(u.messageId);
      }
      // A message leaves the queue once no recipient is waiting any more.
      const finished = this.stmt(
        `DELETE FROM queue_messages WHERE id = ? AND NOT EXISTS (SELECT 1 FROM queue_recipients WHERE message_id = ? AND state = 'queued')`,
      );
      for (const id of touched) finished.run(id, id);
      return bounces.map((b) => this.insert(b, now));
    });
  }

  /** Messages with recipients due now, oldest first, leaving out those already being worked on. */
  due(now: number, limit: number, busy: ReadonlySet<string>): QueuedMessage[] {
    const ids = this.stmt(`SELECT DISTINCT message_id FROM queue_recipients WHERE state = 'queued' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?`)
      .pluck()
      .all(now, limit + busy.size) as string[];
    return ids
      .filter((id) => !busy.has(id))
      .slice(0, limit)
      .map((id) => this.get(id))
      .filter((m): m is QueuedMessage => m !== null);
  }

  /** When the next queued recipient becomes due, or null when nothing waits. */
  nextDueAt(): number | null {
    const at = this.stmt(`SELECT min(next_attempt_at) FROM queue_recipients WHERE state = 'queued'`).pluck().get() as number | null;
    return at ?? null;
  }

  get(id: string): QueuedMessage | null {
    const row = this.stmt(`SELECT id, sender, origin, created_at, envelope_id, return_full, length(raw) AS size FROM queue_messages WHERE id = ?`)
      .get(id) as MessageRow | undefined;
    if (!row) return null;
    const recipients = (this.stmt(`SELECT * FROM queue_recipients WHERE message_id = ? ORDER BY address`).all(id) as RecipientRow[]).map(toRecipient);
    return {
      id: row.id,
      sender: row.sender,
      origin: row.origin as QueueOrigin,
      createdAt: row.created_at,
      size: row.size,
      envelopeId: row.envelope_id,
      returnFull: row.return_full === 1,
      recipients,
    };
  }

  raw(id: string): Buffer | null {
    return (this.stmt(`SELECT raw FROM queue_messages WHERE id = ?`).pluck().get(id) as Buffer | undefined) ?? null;
  }

  list(): QueuedMessage[] {
    const ids = this.stmt(`SELECT id FROM queue_messages ORDER BY created_at, id`).pluck().all() as string[];
    return ids.map((id) => this.get(id)).filter((m): m is QueuedMessage => m !== null);
  }

  /** Make every waiting recipient (of one message, or of all) due now. Returns how many were rescheduled. */
  retryNow(id?: string): number {
    const sql = `UPDATE queue_recipients SET next_attempt_at = 0 WHERE state = 'queued'${id ? ' AND message_id = ?' : ''}`;
    return this.stmt(sql).run(...(id ? [id] : [])).changes;
  }

  /** Remove a message without delivering or bouncing it (admin action). */
  delete(id: string): boolean {
    return this.stmt(`DELETE FROM queue_messages WHERE id = ?`).run(id).changes > 0;
  }

  close(): void {
    this.db.close();
  }

  private insert(message: NewQueuedMessage, now: number): string {
    const id = newQueueId();
    this.stmt(`INSERT INTO queue_messages (id, sender, origin, created_at, envelope_id, return_full, raw) VALUES (?, ?, ?, ?, ?, ?, ?)`)
      .run(id, message.sender, message.origin, now, message.envelopeId ?? null, message.returnFull ? 1 : 0, message.raw);
    const add = this.stmt(
      `INSERT OR IGNORE INTO queue_recipients (message_id, address, domain, state, next_attempt_at, notify, orcpt) VALUES (?, ?, ?, 'queued', ?, ?, ?)`,
    );
    for (const address of message.recipients) {
      const dsn = message.dsn?.find((d) => d.address.toLowerCase() === address.toLowerCase());
      add.run(id, address, domainOf(address), now, dsn?.notify?.join(',') ?? null, dsn?.orcpt ?? null);
    }
    return id;
  }
}
