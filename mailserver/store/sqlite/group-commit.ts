import type { Database } from 'better-sqlite3';

interface PendingWrite {
  run: () => unknown;
  resolve: (value: any) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: writes requested during one turn of the event loop share one transaction and so one
 * WAL fsync (synchronous=FULL). Each write runs in its own savepoint, so one failing write (over quota,
 * say) does not undo its neighbours. Promises resolve only after COMMIT returned, i.e. after the fsync.
 */
export class GroupCommit {
  private queue: PendingWrite[] = [];
  private scheduled = false;
  private afterCommit: Array<() => void> = [];

  private lastFlush = 0;

  /**
   * `windowMs`: under sustained load (the previous commit was less than a window ago) a batch stays open
   * that long before it commits, so concurrent deliveries share one commit instead of each paying for its
   * own; a lone write commits at once.
   */
  constructor(
    private readonly db: Database,
    private readonly windowMs = 0,
  ) {}

  write<T>(run: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        const busy = this.windowMs > 0 && performance.now() - this.lastFlush < this.windowMs;
        if (busy) setTimeout(() => this.flush(), this.windowMs);
        else setImmediate(() => this.flush());
      }
    });
  }

  /** Run `fn` once the current batch has committed (e.g. notify watchers). */
  onCommit(fn: () => void): void {
    this.afterCommit.push(fn);
  }

  private flush(): void {
    this.scheduled = false;
    this.lastFlush = performance.now();
    const batch = this.queue;
    this.queue = [];
    const outcomes: Array<{ ok: boolean; value: unknown }> = [];
    try {
      this.db.transaction(() => {
        for (const item of batch) {
          try {
            outcomes.push({ ok: true, value: this.db.transaction(item.run)() });
          } catch (error) {
            outcomes.push({ ok: false, value: error });
          }
        }
      })();
    } catch (error) {
      // The commit itself failed (disk full, I/O error): nothing in the batch is durable.
      this.afterCommit = [];
      for (const item of batch) item.reject(error);
      return;
    }
    const notify = this.afterCommit;
    this.afterCommit = [];
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.value);
    });
    for (const fn of notify) fn();
  }
}
