import { parentPort } from 'node:worker_threads';
import { sanitizeMessageHtml } from './sanitize-html.ts';

/**
 * Runs in a worker thread. The Content-ID → URL map comes as a plain object, since the main thread's lookup
 * function cannot cross threads.
 */
parentPort!.on('message', (request: { id: number; html: string; cidUrls: Record<string, string> }) => {
  const html = sanitizeMessageHtml(request.html, { cidUrl: (id) => request.cidUrls[id.toLowerCase()] ?? null });
  parentPort!.postMessage({ id: request.id, html });
});
