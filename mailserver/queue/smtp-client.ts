import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import type { TLSSocket } from 'node:tls';
import type { TlsaRecord } from '../dns/dnssec.ts';
import { matchesTlsa } from './dane.ts';
import { cleanReply, outcomeOfReply, statusOf } from './replies.ts';
import type { AttemptOutcome } from './types.ts';

export interface AttemptTarget {
  /** Address to connect to. */
  address: string;
  port: number;
  /** The host's name: TLS SNI and certificate name. */
  hostname: string;
  /** Refuse to send unless STARTTLS succeeds (relay next hop with TLS required, MTA-STS enforce). */
  requireTls: boolean;
  /** Check the certificate against `hostname` (only where a policy says so; opportunistic TLS does not). */
  verifyCertificate: boolean;
  /** DANE TLSA records the certificate chain must match (RFC 7672); checked here instead of PKIX. */
  tlsa?: TlsaRecord[];
}

export interface AttemptMessage {
  heloName: string;
  sender: string;
  recipients: string[];
  raw: Buffer;
}

/** The remote could not be reached or talked to: try the next address, or later. */
export class ConnectionFailure extends Error {
  constructor(
    message: string,
    readonly tlsFailed = false,
  ) {
    super(message);
  }
}

export interface AttemptResult {
  outcomes: Map<string, AttemptOutcome>;
  /** STARTTLS was used for this transaction. */
  encrypted: boolean;
}

/** The server's certificate chain, leaf first, as DER (Node links each certificate to its issuer). */
function peerChain(socket: TLSSocket): Buffer[] {
  const chain: Buffer[] = [];
  const seen = new Set<string>();
  for (let cert = socket.getPeerCertificate(true); cert?.raw && !seen.has(cert.fingerprint256); cert = cert.issuerCertificate) {
    seen.add(cert.fingerprint256);
    chain.push(cert.raw);
  }
  return chain;
}

type SmtpError = SMTPConnection.SMTPError & { rejectedErrors?: Array<SMTPConnection.SMTPError & { recipient?: string }> };

const TIMEOUTS = { connectionTimeout: 30_000, greetingTimeout: 30_000, socketTimeout: 120_000 };

function connect(connection: SMTPConnection): Promise<void> {
  return new Promise((resolve, reject) => {
    connection.once('error', reject);
    connection.connect(() => {
      connection.off('error', reject);
      resolve();
    });
  });
}

function send(connection: SMTPConnection, message: AttemptMessage): Promise<SMTPConnection.SentMessageInfo> {
  return new Promise((resolve, reject) => {
    connection.send({ from: message.sender, to: message.recipients }, message.raw, (error, info) => (error ? reject(error) : resolve(info)));
  });
}

/** Per-recipient fates from a finished (or refused) transaction. */
function outcomesOf(message: AttemptMessage, remote: string, info: SMTPConnection.SentMessageInfo | null, error: SmtpError | null): Map<string, AttemptOutcome> {
  const outcomes = new Map<string, AttemptOutcome>();
  for (const rejected of error?.rejectedErrors ?? info?.rejectedErrors ?? []) {
    const recipient = (rejected as { recipient?: string }).recipient;
    if (recipient) outcomes.set(recipient, outcomeOfReply(rejected.response ?? '451 4.0.0 rejected', remote));
  }
  for (const address of message.recipients) {
    if (outcomes.has(address)) continue;
    if (error) {
      // MAIL FROM or DATA refused: the refusal applies to everyone not refused on their own.
      const reply = error.response ? cleanReply(error.response) : `451 4.4.2 ${cleanReply(error.message)}`;
      outcomes.set(address, outcomeOfReply(reply, remote));
    } else {
      outcomes.set(address, { kind: 'delivered', reply: cleanReply(info?.response ?? '250'), remote });
    }
  }
  return outcomes;
}

/**
 * One SMTP transaction with one remote address, through nodemailer's SMTP connection. STARTTLS is used
 * whenever the remote offers it; without a policy demanding more, the certificate is not checked (as in
 * Postfix's "may" level: encryption against passive listeners, and never worse than plaintext).
 */
export async function attemptDelivery(target: AttemptTarget, message: AttemptMessage, allowTls = true): Promise<AttemptResult> {
  const connection = new SMTPConnection({
    host: target.address,
    port: target.port,
    name: message.heloName,
    secure: false,
    requireTLS: target.requireTls,
    opportunisticTLS: !target.requireTls,
    ignoreTLS: !allowTls && !target.requireTls,
    tls: { servername: target.hostname, rejectUnauthorized: target.verifyCertificate, minVersion: 'TLSv1.2' },
    ...TIMEOUTS,
  });
  connection.on('error', () => {}); // errors arrive through the callbacks below; a late one must not crash
  const remote = `${target.hostname} [${target.address}]:${target.port}`;
  try {
    try {
      await connect(connection);
    } catch (error) {
      const e = error as SmtpError;
      if (e.code === 'ETLS' || e.code === 'ESOCKET' && connection.secure === false && /TLS|SSL|certificate/i.test(e.message)) {
        throw new ConnectionFailure(`TLS with ${remote} failed: ${cleanReply(e.message)}`, true);
      }
      if (e.response) {
        // The greeting or EHLO was a refusal: that is the remote's answer for every recipient.
        const reply = cleanReply(e.response);
        if (/^5/.test(reply)) return { outcomes: new Map(message.recipients.map((r) => [r, { kind: 'permanent', reply, status: statusOf(reply, 5), remote }])), encrypted: false };
      }
      throw new ConnectionFailure(`cannot talk to ${remote}: ${cleanReply(e.response ?? e.message)}`);
    }
    if (target.requireTls && !connection.secure) throw new ConnectionFailure(`${remote} did not offer STARTTLS, which is required`, true);
    if (target.tlsa && target.tlsa.length > 0) {
      // Nothing has been sent yet but EHLO: a chain that does not match the TLSA records ends it here.
      const socket = (connection as unknown as { _socket: TLSSocket })._socket;
      if (!matchesTlsa(peerChain(socket), target.tlsa, target.hostname)) {
        throw new ConnectionFailure(`the certificate of ${remote} does not match its DANE TLSA records`, true);
      }
    }
    const encrypted = connection.secure;
    try {
      const info = await send(connection, message);
      return { outcomes: outcomesOf(message, remote, info, null), encrypted };
    } catch (error) {
      const e = error as SmtpError;
      if (!e.response && !e.rejectedErrors) throw new ConnectionFailure(`${remote} dropped the transaction: ${cleanReply(e.message)}`);
      return { outcomes: outcomesOf(message, remote, null, e), encrypted };
    }
  } finally {
    connection.quit();
    connection.close();
  }
}
