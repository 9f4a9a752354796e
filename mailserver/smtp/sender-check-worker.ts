import { parentPort, workerData } from 'node:worker_threads';
import { DnsResolver } from '../dns/resolver.ts';
import { checkSender, type TransactionFacts } from './authentication.ts';

/** Runs in a worker thread: SPF/DKIM/DMARC/ARC for messages sent by SenderChecks, many at once (DNS waits). */
const resolver = new DnsResolver((workerData as { dns?: string }).dns);

parentPort!.on('message', (request: { id: number; raw: Uint8Array; facts: TransactionFacts }) => {
  const raw = Buffer.from(request.raw.buffer, request.raw.byteOffset, request.raw.byteLength);
  checkSender(raw, request.facts, resolver).then(
    (outcome) => parentPort!.postMessage({ id: request.id, outcome }),
    (error: unknown) => parentPort!.postMessage({ id: request.id, error: String(error) }),
  );
});
