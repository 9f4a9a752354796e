import { randomBytes } from 'node:crypto';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { Config } from '../config/index.ts';
import type { DnsResolver } from '../dns/resolver.ts';
import type { Account, Directory } from '../directory/types.ts';
import type { Logger } from '../log/logger.ts';
import type { MailStore } from '../store/types.ts';
import type { TlsMaterial } from '../tls/certificate.ts';
import './enhanced-codes.ts';
import { checkSender, withoutForgedResults } from './authentication.ts';
import { deliverToAccounts, isOverQuota } from './local-delivery.ts';
import { readAll } from './read-all.ts';
import { decideRecipient } from './recipients.ts';
import { reply, type SmtpReply } from './replies.ts';
import { ConnectionLimiter } from '../security/connection-limits.ts';

export interface InboundOptions {
  config: Config;
  directory: Directory;
  store: MailStore;
  tls: TlsMaterial;
  log: Logger;
  resolver: DnsResolver;
  /** Largest message accepted (SIZE). */
  maxMessageBytes: number;
}

/** The trace header every receiving MTA adds (RFC 5321 §4.4). */
function receivedHeader(session: SMTPServerSession, hostname: string, id: string, recipient: string | null): string {
  const helo = session.hostNameAppearsAs || 'unknown';
  const protocol = session.secure ? 'ESMTPS' : 'ESMTP';
  const forClause = recipient ? `\r\n\tfor <${recipient}>` : '';
  return `Received: from ${helo} ([${session.remoteAddress}])\r\n\tby ${hostname} (Mailwerk) with ${protocol} id ${id}${forClause};\r\n\t${new Date().toUTCString().replace('GMT', '+0000')}\r\n`;
}

/** Accounts behind the transaction's recipients, each once (an alias and its target may both be named). */
async function recipientAccounts(directory: Directory, addresses: string[]): Promise<Account[]> {
  const byId = new Map<string, Account>();
  for (const address of addresses) {
    const decision = await decideRecipient(directory, address);
    if ('accounts' in decision) for (const account of decision.accounts) byId.set(account.id, account);
  }
  return [...byId.values()];
}

/**
 * The inbound MTA (port-25 role): accepts mail for our domains only, never relays, offers STARTTLS without
 * requiring it, and answers 250 after DATA only once every recipient's copy is durable.
 */
export function createInboundServer(options: InboundOptions): SMTPServer {
  const { config, directory, store, log } = options;
  const perIp = new ConnectionLimiter(config.smtp.maxConnectionsPerIp);
  const errors = new Map<string, number>();
  /** Count a refusal; past the limit the session ends with 421 instead of the refusal. */
  const refuse = (session: SMTPServerSession, refusal: SmtpReply): SmtpReply => {
    const count = (errors.get(session.id) ?? 0) + 1;
    errors.set(session.id, count);
    if (count > config.smtp.maxErrors) return reply(421, '4.7.0', `Too many refused commands (${count}); closing the connection`);
    return refusal;
  };
  const server = new SMTPServer({
    name: config.hostname,
    banner: 'Mailwerk ESMTP ready',
    key: options.tls.key,
    cert: options.tls.cert,
    disabledCommands: ['AUTH'],
    hideENHANCEDSTATUSCODES: false,
    authOptional: true,
    size: options.maxMessageBytes,
    // Every DNS lookup must go through the one resolver (MAILWERK_DNS); that arrives with the rest of this issue.
    disableReverseLookup: true,
    logger: false,
    onConnect(session, callback) {
      if (!perIp.acquire(session.remoteAddress)) {
        (session as SMTPServerSession & { overLimit?: boolean }).overLimit = true;
        return callback(reply(421, '4.7.0', 'Too many connections from your address; try again later'));
      }
      callback();
    },
    onClose(session) {
      errors.delete(session.id);
      if (!(session as SMTPServerSession & { overLimit?: boolean }).overLimit) perIp.release(session.remoteAddress);
    },
    onRcptTo(address, session, callback) {
      const limit = config.smtp.maxRecipients;
      if (session.envelope.rcptTo.length >= limit) {
        callback(reply(452, '4.5.3', `Too many recipients; send the rest in another transaction (limit ${limit})`));
        return;
      }
      void (async () => {
        const decision = await decideRecipient(directory, address.address);
        if ('refuse' in decision) {
          log.info('smtp.rcpt.refused', { remote: session.remoteAddress, rcpt: address.address, code: decision.refuse.responseCode });
          return callback(refuse(session, decision.refuse));
        }
        for (const account of decision.accounts) {
          const usage = await store.quota(account.id).catch(() => null);
          if (usage && usage.limitBytes > 0 && usage.usedBytes >= usage.limitBytes) {
            return callback(reply(452, '4.2.2', `Mailbox of <${address.address}> is full; try again later`));
          }
        }
        callback();
      })().catch((error: unknown) => callback(error as Error));
    },
    onData(stream: SMTPServerDataStream, session, callback) {
      void (async () => {
        const body = await readAll(stream);
        if (stream.sizeExceeded) return callback(reply(552, '5.3.4', `Message is larger than the ${options.maxMessageBytes}-byte limit`));
        const id = randomBytes(8).toString('hex');
        const recipients = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
        const accounts = await recipientAccounts(directory, recipients);
        const trace = receivedHeader(session, config.hostname, id, recipients.length === 1 ? recipients[0]! : null);
        const message = withoutForgedResults(body, config.hostname);
        const sender = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        const auth = await checkSender(message, { ip: session.remoteAddress, helo: session.hostNameAppearsAs || '', sender, hostname: config.hostname }, options.resolver);
        log.info('smtp.auth', { id, remote: session.remoteAddress, ...auth.summary });
        const raw = Buffer.concat([Buffer.from(trace), Buffer.from(auth.headers), message]);
        const { failed } = await deliverToAccounts(store, accounts, raw);
        log.info('smtp.delivered', { id, remote: session.remoteAddress, recipients: accounts.length, failed: failed.length, bytes: raw.length });
        if (failed.length === 0) return callback(null, `2.0.0 Delivered, id ${id}`);
        const overQuota = failed.every((f) => isOverQuota(f.error));
        // One reply covers every recipient: a temporary failure makes the sender retry, which can duplicate
        // a copy already stored but never loses one.
        if (overQuota && failed.length === accounts.length) return callback(reply(552, '5.2.2', `Mailbox is full (id ${id})`));
        callback(reply(451, '4.3.0', `Delivery failed for some recipients; please retry (id ${id})`));
      })().catch((error: unknown) => {
        log.error('smtp.data.failed', { error: String(error) });
        callback(reply(451, '4.3.0', 'Local error while storing the message; please retry'));
      });
    },
  });
  server.on('error', (error) => log.warn('smtp.error', { error: error.message }));
  return server;
}
