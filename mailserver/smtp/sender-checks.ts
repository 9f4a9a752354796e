import { Worker } from 'node:worker_threads';
import type { DnsResolver } from '../dns/resolver.ts';
import { checkSender, type AuthenticationOutcome, type TransactionFacts } from './authentication.ts';

interface Pending {
  resolve: (outcome: AuthenticationOutcome) => void;
  raw: Buffer;
  facts: TransactionFacts;
}

/**
 * Sender authentication beside the protocol thread: parsing headers, evaluating SPF and DMARC and verifying
 * DKIM signatures is CPU the SMTP dialogue and the store commits should not wait behind. One worker
 * thread, many checks at once (most of their time is DNS). Should the worker die, its checks and any new
 * ones run in this thread, so a delivery never depends on the worker.
 */
export class SenderChecks {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly resolver: DnsResolver,
    private readonly dnsServer: string | undefined,
    useWorker = true,
  ) {
    if (useWorker) this.spawn();
  }

  check(raw: Buffer, facts: TransactionFacts): Promise<AuthenticationOutcome> {
    if (!this.worker) return checkSender(raw, facts, this.resolver);
    const id = this.nextId++;
    // A copy of exactly these bytes, transferred rather than cloned.
    const copy = new Uint8Array(raw);
    return new Promise((resolve) => {
      this.pending.set(id, { resolve, raw, facts });
      this.worker!.postMessage({ id, raw: copy, facts }, [copy.buffer]);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.worker?.terminate();
  }

  private spawn(): void {
    const worker = new Worker(new URL('./sender-check-worker-entry.js', import.meta.url), { workerData: { dns: this.dnsServer } });
    worker.unref();
    worker.on('message', (message: { id: number; outcome?: AuthenticationOutcome; error?: string }) => {
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (!waiter) return;
      if (message.outcome) waiter.resolve(message.outcome);
      else void checkSender(waiter.raw, waiter.facts, this.resolver).then(waiter.resolve);
    });
    const retire = () => {
      if (this.worker !== worker) return;
      this.worker = null;
      for (const [id, waiter] of this.pending) {
        this.pending.delete(id);
        void checkSender(waiter.raw, waiter.facts, this.resolver).then(waiter.resolve);
      }
      if (!this.closed) this.spawn();
    };
    worker.on('error', retire);
    worker.on('exit', retire);
    this.worker = worker;
  }
}
