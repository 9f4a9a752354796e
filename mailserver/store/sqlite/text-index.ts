import type { Database, Statement } from 'better-sqlite3';
import type { GroupCommit } from './group-commit.ts';

/** The text a message contributes to the full-text index. */
export interface IndexText {
  headers: string;
  body: string;
}

/** How long new messages wait to be indexed together; many documents per FTS5 write is far cheaper than one. */
const DELAY_MS = 30;
const BATCH = 500;
/** Beyond this many waiting texts, keep only the ids and re-read the text from the message when indexing. */
const MAX_HELD_TEXTS = 20_000;

/**
 * Full-text indexing off the acknowledgement path. Delivery records the message as "pending" in the
 * same transaction as the message itself (so a crash cannot lose the obligation), and the indexer adds
 * pending messages to FTS5 in batches shortly after. A search waits for the backlog first, so results
 * are always complete; after a restart the backlog is rebuilt from the stored messages.
 */
export class TextIndexer {
  private readonly held = new Map<number, IndexText>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private closed = false;
  private readonly stmts: Record<'add' | 'pending' | 'done' | 'insert' | 'remove' | 'count', Statement>;

  constructor(
    private readonly db: Database,
    private readonly commit: GroupCommit,
    /** Text of a message whose text is not held in memory (after a restart). */
    private readonly reread: (contentId: number) => IndexText | null,
  ) {
    this.stmts = {
      add: db.prepare('INSERT OR IGNORE INTO fts_pending (content_id) VALUES (?)'),
      pending: db.prepare(`SELECT content_id FROM fts_pending ORDER BY content_id LIMIT ${BATCH}`).pluck(),
      done: db.prepare('DELETE FROM fts_pending WHERE content_id = ?'),
      insert: db.prepare('INSERT INTO contents_fts (rowid, headers, body) VALUES (?, ?, ?)'),
      remove: db.prepare('DELETE FROM contents_fts WHERE rowid = ?'),
      count: db.prepare('SELECT count(*) FROM fts_pending').pluck(),
    };
    if ((this.stmts.count.get() as number) > 0) this.schedule();
  }

  /** Inside the delivering transaction: remember that this message still has to be indexed. */
  enqueue(contentId: number, text: IndexText): void {
    this.stmts.add.run(contentId);
    if (this.held.size < MAX_HELD_TEXTS) this.held.set(contentId, text);
    this.schedule();
  }

  /** Inside the transaction that drops a message's content. */
  forget(contentId: number): void {
    this.held.delete(contentId);
    this.stmts.done.run(contentId);
    this.stmts.remove.run(contentId);
  }

  /** Resolves once every message delivered so far is searchable. */
  async flush(): Promise<void> {
    while ((this.stmts.count.get() as number) > 0) await this.runBatch();
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.runBatch().then(
        () => {
          if (!this.closed && (this.stmts.count.get() as number) > 0) this.schedule();
        },
        // The work stays recorded in fts_pending; the next delivery, search or restart picks it up.
        () => undefined,
      );
    }, DELAY_MS);
    this.timer.unref();
  }

  /** Stop background work (the store is closing); pending entries stay for the next start. */
  stop(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** One batch, as one group-commit write; concurrent callers share it. */
  private runBatch(): Promise<void> {
    this.running ??= this.commit
      .write(() => {
        for (const id of this.stmts.pending.all() as number[]) {
          const text = this.held.get(id) ?? this.reread(id);
          if (text) this.stmts.insert.run(id, text.headers, text.body);
          this.stmts.done.run(id);
          this.held.delete(id);
        }
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }
}
