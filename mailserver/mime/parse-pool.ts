import { Worker } from 'node:worker_threads';
import { prepareMessage, type MessagePreparer, type PreparedMessage } from './prepared.ts';

interface PoolWorker {
  worker: Worker;
  busy: number;
}

interface Pending {
  resolve: (value: PreparedMessage) => void;
  reject: (error: Error) => void;
  /** Kept so the message can be parsed here if its worker dies. */
  raw: Buffer;
  worker: PoolWorker;
}

/**
 * Parsing at delivery in worker threads, so the thread that talks to clients and commits to the store is
 * not also the one parsing MIME. A worker that dies is replaced; while none is available the message is
 * parsed in this thread, so delivery never depends on the pool.
 */
export class ParsePool implements MessagePreparer {
  private readonly workers: PoolWorker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly size: number) {
    for (let i = 0; i < size; i++) this.spawn();
  }

  private spawn(): void {
    const worker = new Worker(new URL('./worker-entry.js', import.meta.url));
    const entry: PoolWorker = { worker, busy: 0 };
    worker.unref();
    worker.on('message', (message: { id: number; result?: PreparedMessage; error?: string }) => {
      entry.busy--;
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (!waiter) return;
      if (message.result) waiter.resolve(message.result);
      else waiter.reject(new Error(message.error ?? 'parse failed'));
    });
    worker.on('error', () => this.retire(entry));
    worker.on('exit', () => this.retire(entry));
    this.workers.push(entry);
  }

  private retire(entry: PoolWorker): void {
    const index = this.workers.indexOf(entry);
    if (index < 0) return;
    this.workers.splice(index, 1);
    // Requests it held are answered by re-parsing here: their ids are still pending.
    for (const [id, waiter] of this.pending) {
      if (waiter.worker === entry) {
        this.pending.delete(id);
        try {
          waiter.resolve(prepareMessage(waiter.raw));
        } catch (error) {
          waiter.reject(error as Error);
        }
      }
    }
    if (!this.closed) this.spawn();
  }

  prepare(raw: Buffer): Promise<PreparedMessage> {
    const entry = this.workers.reduce<PoolWorker | undefined>((best, w) => (!best || w.busy < best.busy ? w : best), undefined);
    if (!entry) return Promise.resolve(prepareMessage(raw));
    const id = this.nextId++;
    // A copy of exactly these bytes: a Buffer may be a view into a much larger one, which cloning would send whole.
    const copy = new Uint8Array(raw);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker: entry, raw });
      entry.busy++;
      entry.worker.postMessage({ id, raw: copy }, [copy.buffer]);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}
