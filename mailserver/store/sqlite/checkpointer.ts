import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';

const INTERVAL_MS = 250;

/**
 * WAL checkpoints in a worker thread. With SQLite's automatic checkpoints the commit that crosses the
 * threshold copies megabytes into the database file and fsyncs it while every client waits; here the
 * main connection never checkpoints, and a worker does it in the background. If the worker cannot start
 * or dies, automatic checkpoints come back on, so the WAL never grows without bound.
 */
export class BackgroundCheckpointer {
  private worker: Worker | null = null;

  constructor(
    private readonly db: Database,
    path: string,
  ) {
    try {
      this.worker = new Worker(new URL('./checkpoint-worker.js', import.meta.url), { workerData: { path, intervalMs: INTERVAL_MS } });
      this.worker.unref();
      this.worker.on('error', () => this.fallBack());
      this.worker.on('exit', () => this.fallBack());
      db.pragma('wal_autocheckpoint = 0');
    } catch {
      this.fallBack();
    }
  }

  private fallBack(): void {
    this.worker = null;
    if (this.db.open) this.db.pragma('wal_autocheckpoint = 1000');
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (!worker) return;
    worker.removeAllListeners('exit');
    await new Promise<void>((resolve) => {
      worker.once('message', () => resolve());
      worker.once('exit', () => resolve());
      worker.postMessage('stop');
    });
    await worker.terminate();
  }
}
