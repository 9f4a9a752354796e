import type { DnsResolver } from '../dns/resolver.ts';
import type { Logger } from '../log/logger.ts';
import { parseHostPort } from '../queue/routes.ts';
import { QueueRunner } from '../queue/runner.ts';
import type { AttemptOutcome } from '../queue/types.ts';
import { deliverToAccounts, isOverQuota } from '../smtp/local-delivery.ts';
import { decideRecipient } from '../smtp/recipients.ts';
import type { Services } from './context.ts';

/** Queue mail for our own domains (bounces to local senders, say) goes straight into the mailbox. */
async function deliverLocally(services: Services, recipient: string, raw: Buffer): Promise<AttemptOutcome> {
  const decision = await decideRecipient(services.directory, recipient);
  if ('refuse' in decision) {
    const reply = `${decision.refuse.responseCode} ${decision.refuse.message}`;
    return { kind: 'permanent', reply, status: decision.refuse.message.split(' ')[0]! };
  }
  const { failed } = await deliverToAccounts(services.store, decision.accounts, raw);
  if (failed.length === 0) return { kind: 'delivered', reply: '250 2.0.0 Delivered locally', remote: 'local' };
  if (failed.every((f) => isOverQuota(f.error))) return { kind: 'temporary', reply: '452 4.2.2 Mailbox full', status: '4.2.2' };
  return { kind: 'temporary', reply: '451 4.3.0 Local delivery failed', status: '4.3.0' };
}

/** The queue runner with the configured routing and schedule. */
export function createQueueRunner(services: Services, resolver: DnsResolver, log: Logger): QueueRunner {
  const { config } = services;
  const smarthost = config.queue.smarthost ? { ...parseHostPort(config.queue.smarthost, 25), requireTls: false } : undefined;
  return new QueueRunner({
    db: services.queue,
    resolver,
    log,
    hostname: config.hostname,
    postmaster: `postmaster@${config.domain}`,
    routing: { mxPort: config.queue.mxPort, smarthost },
    schedule: {
      retryBaseMs: config.queue.retryBase * 1000,
      maxRetryMs: config.queue.maxRetry * 1000,
      lifetimeMs: config.queue.lifetime * 1000,
      warnAfterMs: config.queue.warnAfter * 1000,
    },
    concurrency: config.queue.concurrency,
    isLocalDomain: (domain) => services.directory.hasDomain(domain),
    deliverLocally: (recipient, raw) => deliverLocally(services, recipient, raw),
  });
}
