import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import addressparser from 'nodemailer/lib/addressparser/index.js';
import { SMTPServer, type SMTPServerAuthentication, type SMTPServerSession } from 'smtp-server';
import type { Config } from '../config/index.ts';
import type { DkimKeys } from '../dkim/keys.ts';
import { signMessage } from '../dkim/sign.ts';
import type { Account, Directory } from '../directory/types.ts';
import type { Logger } from '../log/logger.ts';
import { normalizeLineEndings } from '../queue/line-endings.ts';
import type { NewQueuedMessage } from '../queue/types.ts';
import type { AuthThrottle } from '../security/auth-throttle.ts';
import { isLoopback } from '../security/connection-limits.ts';
import type { MailStore } from '../store/types.ts';
import type { TlsMaterial } from '../tls/certificate.ts';
import './auth-over-tls.ts';
import './enhanced-codes.ts';
import { deliverToAccounts, isOverQuota } from './local-delivery.ts';
import { hasHeader, headerValue, joinMessage, newMessageId, removeHeader, rfc5322Date, splitMessage } from './message-headers.ts';
import { readAll } from './read-all.ts';
import { headerLines, MAX_CHECKED_HEADER_LINES } from './authentication.ts';
import { planDelivery, rememberDecision } from './delivery-plan.ts';
import { dsnRequest, localSuccessReport, queueDsnFields } from './dsn-request.ts';
import { decideRecipient, type RecipientServices } from './recipients.ts';
import { reply, type SmtpReply } from './replies.ts';
import { maySendAs } from './sender-policy.ts';
import { QUIET_SOCKET_ERRORS, sharedServerOptions } from './server-options.ts';
import type { SendingLimits } from './sending-limits.ts';

/** The gateway asks for a Sent copy with this header; it is removed before the message goes anywhere. */
export const COPY_TO_SENT_HEADER = 'X-Mailwerk-Copy-To-Sent';

export interface SubmissionOptions {
  config: Config;
  directory: Directory;
  store: MailStore;
  tls: TlsMaterial;
  log: Logger;
  throttle: AuthThrottle;
  limits: SendingLimits;
  dkim: DkimKeys;
  enqueue(message: NewQueuedMessage): Promise<string>;
  /** SRS bounce addresses and relay-domain callouts, as inbound uses them. */
  recipients: RecipientServices;
  maxMessageBytes: number;
  /** 465-style: TLS from the first byte. */
  implicitTls: boolean;
}

/** What the session carries once AUTH succeeded. */
interface SessionUser {
  account: Account;
}

type Session = SMTPServerSession & { user?: SessionUser };

const accountOf = (session: Session): Account => (session.user as unknown as SessionUser).account;

function receivedHeader(session: Session, hostname: string, id: string): string {
  const protocol = session.secure ? 'ESMTPSA' : 'ESMTPA';
  return `Received: from ${session.hostNameAppearsAs || 'unknown'} ([${session.remoteAddress}])\r\n\tby ${hostname} (Mailwerk) with ${protocol} id ${id};\r\n\t${rfc5322Date(new Date())}\r\n`;
}

/**
 * Authenticated submission (RFC 6409) on the STARTTLS and implicit-TLS ports: AUTH only over TLS,
 * senders limited to the account's own addresses, per-account sending limits, DKIM signing, local
 * recipients delivered directly and remote ones queued, 250 only once all of it is durable.
 */
export function createSubmissionServer(options: SubmissionOptions): SMTPServer {
  const { config, directory, store, log, throttle, limits } = options;

  const authenticate = async (auth: SMTPServerAuthentication, session: Session): Promise<SessionUser | SmtpReply> => {
    if (!session.secure && !(config.allowPlaintextLoopback && isLoopback(session.remoteAddress))) {
      return reply(538, '5.7.11', 'Encryption required: issue STARTTLS first or use the implicit-TLS port');
    }
    const login = auth.username ?? '';
    if (throttle.isLocked(session.remoteAddress, login)) {
      await sleep(throttle.fail(session.remoteAddress, login));
      log.warn('submission.auth.locked', { remote: session.remoteAddress, login });
      return reply(454, '4.7.0', 'Too many failed logins from your address or for this account; try again in 15 minutes');
    }
    const account = await directory.authenticate(login, auth.password ?? '');
    if (!account) {
      const delay = throttle.fail(session.remoteAddress, login);
      log.info('submission.auth.failed', { remote: session.remoteAddress, login });
      await sleep(delay);
      return reply(535, '5.7.8', 'Authentication failed: wrong user name or password');
    }
    throttle.succeed(login);
    await store.ensureAccount(account.id, account.quotaBytes);
    log.info('submission.auth.ok', { remote: session.remoteAddress, account: account.address });
    return { account };
  };

  const prepare = async (raw: Buffer, account: Account, session: Session, id: string): Promise<{ ready: Buffer; copyToSent: boolean } | SmtpReply> => {
    // DKIM signing parses the header block with mailauth's parser, which slows down sharply past this size.
    if (headerLines(raw) > MAX_CHECKED_HEADER_LINES) return reply(552, '5.3.4', `Message header is too large (over ${MAX_CHECKED_HEADER_LINES} lines)`);
    const parts = splitMessage(normalizeLineEndings(raw));
    const from = headerValue(parts.header, 'from');
    const fromAddresses = from ? addressparser(from, { flatten: true }).map((a) => a.address) : [];
    for (const address of fromAddresses) {
      if (!(await maySendAs(directory, account, address))) return reply(553, '5.7.1', `You may not send as <${address}>: use one of your own addresses in From`);
    }
    const copyToSent = /^\s*yes\s*$/i.test(headerValue(parts.header, COPY_TO_SENT_HEADER) ?? '');
    let header = removeHeader(parts.header, COPY_TO_SENT_HEADER);
    if (!hasHeader(header, 'date')) header += `Date: ${rfc5322Date(new Date())}\r\n`;
    if (!hasHeader(header, 'message-id')) header += `Message-ID: ${newMessageId(config.hostname)}\r\n`;
    if (fromAddresses.length === 0) header += `From: <${account.address}>\r\n`;
    const unsigned = Buffer.concat([Buffer.from(receivedHeader(session, config.hostname, id)), joinMessage({ header, body: parts.body })]);
    const signingDomain = (fromAddresses[0] ?? account.address).toLowerCase().split('@').pop()!;
    if (!(await directory.hasDomain(signingDomain))) return { ready: unsigned, copyToSent };
    return { ready: await signMessage(unsigned, options.dkim.ensure(signingDomain)), copyToSent };
  };

  const accept = async (raw: Buffer, session: Session): Promise<SmtpReply | string> => {
    const account = accountOf(session);
    const id = randomBytes(8).toString('hex');
    const sender = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
    const recipients = session.envelope.rcptTo.map((r) => r.address);
    const prepared = await prepare(raw, account, session, id);
    if (!('ready' in prepared)) return prepared;
    const plan = await planDelivery(options.recipients, session.envelope.rcptTo);
    const local = plan.accounts;
    // Our own user's mail keeps its sender everywhere: our domain, our SPF; no SRS needed.
    const remote = [...plan.forwards, ...plan.relayed, ...plan.remote];
    // Local copies first: if they fail the client retries, and nothing was queued yet to go out twice.
    const { failed } = await deliverToAccounts(store, local, prepared.ready);
    if (failed.length > 0) {
      log.warn('submission.local.failed', { id, account: account.address, failed: failed.length });
      if (failed.every((f) => isOverQuota(f.error)) && remote.length === 0) return reply(552, '5.2.2', `Mailbox of ${failed[0]!.account.address} is full (id ${id})`);
      return reply(451, '4.3.0', `Local delivery failed; please retry (id ${id})`);
    }
    const request = dsnRequest(session);
    const queueId = remote.length > 0 ? await options.enqueue({ sender, recipients: remote, raw: prepared.ready, origin: 'submission', ...queueDsnFields(request) }) : null;
    const elsewhere = new Set(remote.map((a) => a.toLowerCase()));
    const deliveredHere = recipients.map((a) => a.toLowerCase()).filter((a) => !elsewhere.has(a));
    const report = localSuccessReport(request, deliveredHere, sender, prepared.ready, { hostname: config.hostname, postmaster: `postmaster@${config.domain}` });
    if (report) await options.enqueue(report);
    if (prepared.copyToSent) {
      await deliverToAccounts(store, [account], prepared.ready, 'Sent', ['\\Seen']);
    }
    limits.record(account.id, recipients);
    log.info('submission.accepted', { id, account: account.address, local: local.length, remote: remote.length, queue: queueId, bytes: prepared.ready.length });
    return queueId ? `2.0.0 Queued as ${queueId}` : `2.0.0 Delivered, id ${id}`;
  };

  const server = new SMTPServer({
    ...sharedServerOptions(config, options.tls, options.maxMessageBytes, 0),
    banner: 'Mailwerk ESMTP submission ready',
    secure: options.implicitTls,
    authMethods: ['PLAIN', 'LOGIN'],
    // auth-over-tls.ts refuses AUTH before STARTTLS at once (and hides it from EHLO); this lets the
    // loopback exception through, which smtp-server's all-or-nothing switch could not express.
    allowInsecureAuth: true,
    ...({ plaintextAuthAllowed: (remote: string) => config.allowPlaintextLoopback && isLoopback(remote) } as object),
    authRequiredMessage: 'Authentication required: log in (after STARTTLS) to send mail',
    onAuth(auth, session, callback) {
      authenticate(auth, session)
        .then((result) => ('account' in result ? callback(null, { user: result as unknown as string }) : callback(result)))
        .catch((error: unknown) => callback(error as Error));
    },
    onMailFrom(address, session, callback) {
      const account = accountOf(session);
      void (async () => {
        if (!address.address) return callback(reply(553, '5.7.1', 'Submission needs your own address as the sender, not <>'));
        if (!(await maySendAs(directory, account, address.address))) {
          log.warn('submission.sender.refused', { account: account.address, sender: address.address });
          return callback(reply(553, '5.7.1', `You may not send as <${address.address}>: use one of your own addresses`));
        }
        const limited = limits.checkMessage(account.id);
        if (limited) {
          log.warn('submission.limit', { account: account.address, kind: 'messages', code: limited.responseCode });
          return callback(limited);
        }
        callback();
      })().catch((error: unknown) => callback(error as Error));
    },
    onRcptTo(address, session, callback) {
      const account = accountOf(session);
      void (async () => {
        if (session.envelope.rcptTo.length >= config.smtp.maxRecipients) {
          return callback(reply(452, '4.5.3', `Too many recipients; send the rest in another message (limit ${config.smtp.maxRecipients})`));
        }
        const limited = limits.checkRecipients(account.id, [...session.envelope.rcptTo.map((r) => r.address), address.address]);
        if (limited) {
          log.warn('submission.limit', { account: account.address, kind: 'recipients', code: limited.responseCode });
          return callback(limited);
        }
        const decision = await decideRecipient(options.recipients, address.address);
        rememberDecision(address, decision);
        // Unknown users in our own domains are refused now, so the sender learns at once; other domains are relayed.
        if (decision.kind === 'refuse' && decision.reply.responseCode !== 554) return callback(decision.reply);
        callback();
      })().catch((error: unknown) => callback(error as Error));
    },
    onData(stream, session, callback) {
      void (async () => {
        const raw = await readAll(stream);
        if (stream.sizeExceeded) return callback(reply(552, '5.3.4', `Message is larger than the ${options.maxMessageBytes}-byte limit`));
        const outcome = await accept(raw, session);
        if (typeof outcome === 'string') return callback(null, outcome);
        callback(outcome);
      })().catch((error: unknown) => {
        log.error('submission.data.failed', { error: String(error) });
        callback(reply(451, '4.3.0', 'Local error while accepting the message; please retry'));
      });
    },
  });
  // A client that hangs up without QUIT is routine, not a warning.
  server.on('error', (error: NodeJS.ErrnoException) => (QUIET_SOCKET_ERRORS.has(error.code ?? '') ? log.debug : log.warn).call(log, 'submission.error', { error: error.message }));
  return server;
}
