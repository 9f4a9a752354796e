import { parentPort } from 'node:worker_threads';
import { prepareMessage } from './prepared.ts';

/** Runs in a worker thread: prepares messages sent by ParsePool, one at a time. */
parentPort!.on('message', (request: { id: number; raw: Uint8Array }) => {
  try {
    const raw = Buffer.from(request.raw.buffer, request.raw.byteOffset, request.raw.byteLength);
    parentPort!.postMessage({ id: request.id, result: prepareMessage(raw) });
  } catch (error) {
    parentPort!.postMessage({ id: request.id, error: String((error as Error).stack ?? error) });
  }
});
