import { answerAuthenticated, lookupTlsa } from '../dns/dnssec.ts';
import type { DnsResolver } from '../dns/resolver.ts';
import type { Logger } from '../log/logger.ts';
import { MtaStsPolicies } from '../queue/mta-sts.ts';
import { parseHostPort, type NextHop } from '../queue/routes.ts';
import { QueueRunner } from '../queue/runner.ts';
import type { AttemptOutcome } from '../queue/types.ts';
import { deliverToAccounts, isOverQuota } from '../smtp/local-delivery.ts';
import { decideRecipient } from '../smtp/recipients.ts';
import { Srs } from '../smtp/srs.ts';
import type { Services } from './context.ts';

/** Queue mail for our own domains (bounces to local senders, say) goes straight into the mailbox. */
async function deliverLocally(services: Services, recipient: string, raw: Buffer): Promise<AttemptOutcome> {
  const decision = await decideRecipient({ directory: services.directory }, recipient);
  if (decision.kind === 'refuse') {
    const reply = `${decision.reply.responseCode} ${decision.reply.message}`;
    return { kind: decision.reply.responseCode >= 500 ? 'permanent' : 'temporary', reply, status: decision.reply.message.split(' ')[0]! };
  }
  if (decision.kind !== 'local' || decision.forwards.length > 0) {
    // Queue entries are routed per domain before they get here; an alias that forwards is not handled twice.
    return { kind: 'permanent', reply: '550 5.1.1 Not a local mailbox', status: '5.1.1' };
  }
  const { failed } = await deliverToAccounts(services.store, decision.accounts, raw);
  if (failed.length === 0) return { kind: 'delivered', reply: '250 2.0.0 Delivered locally', remote: 'local' };
  if (failed.every((f) => isOverQuota(f.error))) return { kind: 'temporary', reply: '452 4.2.2 Mailbox full', status: '4.2.2' };
  return { kind: 'temporary', reply: '451 4.3.0 Local delivery failed', status: '4.3.0' };
}

/** Relay domains are passed to the customer's server, never looked up in MX. */
async function nextHopFor(services: Services, domain: string): Promise<NextHop | null> {
  const relay = (await services.directory.getDomain(domain))?.relay;
  return relay ? { ...parseHostPort(relay.nextHop, 25), requireTls: relay.requireTls } : null;
}

/** The queue runner with the configured routing and schedule. */
export function createQueueRunner(services: Services, resolver: DnsResolver, log: Logger, srs: Srs): QueueRunner {
  const { config } = services;
  const smarthost = config.queue.smarthost ? { ...parseHostPort(config.queue.smarthost, 25), requireTls: false } : undefined;
  return new QueueRunner({
    db: services.queue,
    resolver,
    log,
    hostname: config.hostname,
    postmaster: `postmaster@${config.domain}`,
    routing: { mxPort: config.queue.mxPort, smarthost, nextHopFor: (domain) => nextHopFor(services, domain), mtaSts: new MtaStsPolicies(resolver) },
    schedule: {
      retryBaseMs: config.queue.retryBase * 1000,
      maxRetryMs: config.queue.maxRetry * 1000,
      lifetimeMs: config.queue.lifetime * 1000,
      warnAfterMs: config.queue.warnAfter * 1000,
    },
    concurrency: config.queue.concurrency,
    isLocalDomain: async (domain) => (await services.directory.getDomain(domain))?.relay === null,
    lookupTlsa: (host) => lookupTlsa(`_25._tcp.${host}`, config.dns),
    routeAuthenticated: (domain, via) => answerAuthenticated(domain, via === 'mx' ? 'MX' : 'A', config.dns),
    deliverLocally: (recipient, raw) => deliverLocally(services, recipient, raw),
    bounceAddress: (sender) => {
      const at = sender.lastIndexOf('@');
      return (Srs.isSrs(sender.slice(0, at)) && srs.reverse(sender.slice(0, at))) || sender;
    },
  });
}
