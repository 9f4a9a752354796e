import { Worker } from 'node:worker_threads';
import { sanitizeMessageHtml } from './sanitize-html.ts';

/** Below this, sanitizing takes well under a millisecond and a thread hop would cost more than it saves. */
const INLINE_LIMIT = 64 * 1024;

interface Waiter {
  resolve: (html: string) => void;
  html: string;
  cidUrls: Record<string, string>;
}

/**
 * Large HTML bodies are sanitized in a worker thread: a hostile mail of 10 MB of tiny elements costs seconds
 * of CPU, and on the gateway's own thread that would stall every other user's requests. One worker is enough
 * to keep the event loop free; if it dies, the requests it held are sanitized here instead, so reading never
 * depends on the worker.
 */
export class SanitizePool {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Waiter>();
  private nextId = 1;
  private closed = false;

  async sanitize(html: string, cidUrls: Record<string, string>): Promise<string> {
    if (html.length <= INLINE_LIMIT || this.closed) return sanitizeHere(html, cidUrls);
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, { resolve, html, cidUrls });
      worker.postMessage({ id, html, cidUrls });
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./sanitize-worker-entry.js', import.meta.url));
    worker.unref();
    worker.on('message', (message: { id: number; html: string }) => {
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      waiter?.resolve(message.html);
    });
    const retire = () => {
      if (this.worker !== worker) return;
      this.worker = null;
      for (const [id, waiter] of this.pending) {
        this.pending.delete(id);
        waiter.resolve(sanitizeHere(waiter.html, waiter.cidUrls));
      }
    };
    worker.on('error', retire);
    worker.on('exit', retire);
    this.worker = worker;
    return worker;
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    for (const [id, waiter] of this.pending) {
      this.pending.delete(id);
      waiter.resolve(sanitizeHere(waiter.html, waiter.cidUrls));
    }
    await worker?.terminate();
  }
}

function sanitizeHere(html: string, cidUrls: Record<string, string>): string {
  return sanitizeMessageHtml(html, { cidUrl: (id) => cidUrls[id.toLowerCase()] ?? null });
}
