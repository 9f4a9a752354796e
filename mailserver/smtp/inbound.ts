import { randomBytes } from 'node:crypto';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { Config } from '../config/index.ts';
import type { Directory } from '../directory/types.ts';
import type { Logger } from '../log/logger.ts';
import type { MailStore } from '../store/types.ts';
import type { TlsMaterial } from '../tls/certificate.ts';
import './enhanced-codes.ts';
import { withoutForgedResults } from './authentication.ts';
import { deliverToAccounts, isOverQuota } from './local-delivery.ts';
import { readAll } from './read-all.ts';
import { planDelivery, rememberDecision, type DeliveryPlan } from './delivery-plan.ts';
import type { SenderChecks } from './sender-checks.ts';
import { dsnRequest, localSuccessReport, queueDsnFields, type DsnRequest } from './dsn-request.ts';
import { decideRecipient, type RecipientServices } from './recipients.ts';
import type { Srs } from './srs.ts';
import { normalizeLineEndings } from '../queue/line-endings.ts';
import type { NewQueuedMessage } from '../queue/types.ts';
import { reply, type SmtpReply } from './replies.ts';
import { QUIET_SOCKET_ERRORS, sharedServerOptions } from './server-options.ts';
import { NetworkList } from '../security/networks.ts';

export interface InboundOptions {
  config: Config;
  directory: Directory;
  store: MailStore;
  tls: TlsMaterial;
  log: Logger;
  /** SPF/DKIM/DMARC/ARC, in a worker thread. */
  senderChecks: SenderChecks;
  /** SRS bounce addresses, relay-domain callouts, the bare postmaster. */
  recipients: RecipientServices & { srs: Srs };
  /** Put a message in the outbound queue; resolves once it is durable. */
  enqueue(message: NewQueuedMessage): Promise<string>;
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

/**
 * The inbound MTA (port-25 role): accepts mail for our domains only, never relays, offers STARTTLS without
 * requiring it, and answers 250 after DATA only once every recipient's copy is durable.
 */
export function createInboundServer(options: InboundOptions): SMTPServer {
  const { config, directory, store, log } = options;
  const recipientServices = options.recipients;
  const relayNetworks = new NetworkList(config.relayNetworks);
  const errors = new Map<string, number>();
  /** Count a refusal; past the limit the session ends with 421 instead of the refusal. */
  const refuse = (session: SMTPServerSession, refusal: SmtpReply): SmtpReply => {
    const count = (errors.get(session.id) ?? 0) + 1;
    errors.set(session.id, count);
    if (count > config.smtp.maxErrors) return reply(421, '4.7.0', `Too many refused commands (${count}); closing the connection`);
    return refusal;
  };
  /** Local copies, then forwards and relayed copies into the queue; the reply once all of it is durable. */
  const deliver = async (plan: DeliveryPlan, sender: string, raw: Buffer, id: string, request: DsnRequest): Promise<string | SmtpReply> => {
    const { failed } = await deliverToAccounts(store, plan.accounts, raw);
    log.info('smtp.delivered', { id, recipients: plan.accounts.length, failed: failed.length, forwards: plan.forwards.length, relayed: plan.relayed.length + plan.remote.length, bytes: raw.length });
    if (failed.length > 0) {
      // One reply covers every recipient: a temporary failure makes the sender retry, which can duplicate
      // a copy already stored but never loses one.
      const onlyLocal = plan.forwards.length === 0 && plan.relayed.length === 0 && plan.remote.length === 0;
      if (onlyLocal && failed.length === plan.accounts.length && failed.every((f) => isOverQuota(f.error))) return reply(552, '5.2.2', `Mailbox is full (id ${id})`);
      return reply(451, '4.3.0', `Delivery failed for some recipients; please retry (id ${id})`);
    }
    const queued: string[] = [];
    if (plan.forwards.length > 0) {
      // Forwarded mail leaves with a sender of ours (SRS), so the next server's SPF check passes.
      const forwarder = recipientServices.srs.forward(sender, config.domain);
      queued.push(await options.enqueue({ sender: forwarder, recipients: plan.forwards, raw, origin: 'forward', envelopeId: request.envelopeId, returnFull: request.returnFull }));
    }
    // Relay domains' recipients and, from trusted networks only (RCPT refused the rest), remote ones.
    const relayed = [...plan.relayed, ...plan.remote];
    if (relayed.length > 0) {
      queued.push(await options.enqueue({ sender, recipients: relayed, raw, origin: 'relay', ...queueDsnFields(request) }));
    }
    await reportLocalSuccess(request, plan, sender, raw);
    return queued.length > 0 ? `2.0.0 Accepted, id ${id}, queued as ${queued.join(' ')}` : `2.0.0 Delivered, id ${id}`;
  };

  /** NOTIFY=SUCCESS for recipients delivered here: a "delivered" report, through the queue. */
  const reportLocalSuccess = async (request: DsnRequest, plan: DeliveryPlan, sender: string, raw: Buffer) => {
    const elsewhere = new Set([...plan.relayed, ...plan.remote].map((a) => a.toLowerCase()));
    const local = request.recipients.map((r) => r.address.toLowerCase()).filter((a) => !elsewhere.has(a));
    const report = localSuccessReport(request, local, sender, raw, { hostname: config.hostname, postmaster: `postmaster@${config.domain}` });
    if (report) await options.enqueue(report);
  };

  const server = new SMTPServer({
    ...sharedServerOptions(config, options.tls, options.maxMessageBytes, config.smtp.greetingDelay * 1000, (session) => errors.delete(session.id)),
    banner: 'Mailwerk ESMTP ready',
    disabledCommands: ['AUTH'],
    authOptional: true,
    onRcptTo(address, session, callback) {
      const limit = config.smtp.maxRecipients;
      if (session.envelope.rcptTo.length >= limit) {
        callback(reply(452, '4.5.3', `Too many recipients; send the rest in another transaction (limit ${limit})`));
        return;
      }
      void (async () => {
        const decision = await decideRecipient(recipientServices, address.address);
        rememberDecision(address, decision);
        if (decision.kind === 'refuse' && decision.reply.responseCode === 554 && relayNetworks.contains(session.remoteAddress)) {
          // MAILWERK_RELAY_NETWORKS: an admin trusts this client to send anywhere (e.g. an office printer).
          log.info('smtp.rcpt.relay-network', { remote: session.remoteAddress, rcpt: address.address });
          return callback();
        }
        if (decision.kind === 'refuse') {
          log.info('smtp.rcpt.refused', { remote: session.remoteAddress, rcpt: address.address, code: decision.reply.responseCode });
          // A temporary refusal (callout could not ask) is not the client's error.
          return callback(decision.reply.responseCode >= 500 ? refuse(session, decision.reply) : decision.reply);
        }
        for (const account of decision.kind === 'local' ? decision.accounts : []) {
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
        const plan = await planDelivery(recipientServices, session.envelope.rcptTo);
        const trace = receivedHeader(session, config.hostname, id, recipients.length === 1 ? recipients[0]! : null);
        const message = withoutForgedResults(body, config.hostname);
        const sender = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        const auth = await options.senderChecks.check(message, { ip: session.remoteAddress, helo: session.hostNameAppearsAs || '', sender, hostname: config.hostname });
        log.info('smtp.auth', { id, remote: session.remoteAddress, ...auth.summary });
        // Like Postfix's smtpd_forbid_bare_newline=normalize: only CRLF.CRLF ends DATA (smtp-server), and a
        // bare LF or CR inside the message is stored as the line end it was meant to be.
        const raw = normalizeLineEndings(Buffer.concat([Buffer.from(trace), Buffer.from(auth.headers), message]));
        const outcome = await deliver(plan, sender, raw, id, dsnRequest(session));
        if (typeof outcome === 'string') return callback(null, outcome);
        callback(outcome);
      })().catch((error: unknown) => {
        log.error('smtp.data.failed', { error: String(error) });
        callback(reply(451, '4.3.0', 'Local error while storing the message; please retry'));
      });
    },
  });
  // A client that hangs up without QUIT is routine, not a warning.
  server.on('error', (error: NodeJS.ErrnoException) => (QUIET_SOCKET_ERRORS.has(error.code ?? '') ? log.debug : log.warn).call(log, 'smtp.error', { error: error.message }));
  return server;
}
