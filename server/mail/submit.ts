import nodemailer from 'nodemailer';
import { GatewayError } from '../errors.ts';
import { verifiedTls, type Credentials } from './imap-connection.ts';

/** The submission server: implicit TLS (465-style) or STARTTLS required (587-style), always verified. */
export interface SmtpEndpoint {
  host: string;
  port: number;
  implicitTls: boolean;
  servername?: string;
  ca?: string;
}

export interface Submitted {
  accepted: string[];
  rejected: { address: string; reply: string }[];
}

interface SmtpFailure {
  code?: string;
  response?: string;
  responseCode?: number;
  rejected?: string[];
  rejectedErrors?: { recipient?: string; response?: string }[];
}

/** The server's reply without the transport's own wording, e.g. "550 5.1.1 <x@y>: no such user". */
function serverReply(error: SmtpFailure): string | undefined {
  return error.response?.replace(/\s+/g, ' ').trim() || undefined;
}

function toGatewayError(error: SmtpFailure): GatewayError {
  const reply = serverReply(error);
  if (error.code === 'EAUTH') return new GatewayError('send_refused', 'The mail server did not accept this account for sending.', { serverReply: reply });
  if (error.code === 'EENVELOPE' || error.code === 'EMESSAGE' || (error.responseCode && error.responseCode >= 400)) {
    const rejected = error.rejected ?? error.rejectedErrors?.map((e) => e.recipient ?? '').filter(Boolean);
    const what = rejected?.length ? `refused ${rejected.join(', ')}` : 'refused the message';
    return new GatewayError('send_refused', `The mail server ${what}${reply ? `: ${reply}` : '.'}`, { serverReply: reply, rejected });
  }
  return new GatewayError('mail_server_unavailable', 'The mail server could not be reached to send; nothing was sent.');
}

/**
 * Hand one message to the submission server with SMTP AUTH, like any mail client. Recipients the server
 * refuses while accepting others are reported, not hidden; a refusal of all of them is an error.
 */
export async function submitMessage(endpoint: SmtpEndpoint, credentials: Credentials, envelope: { from: string; to: string[] }, raw: Buffer): Promise<Submitted> {
  const transport = nodemailer.createTransport({
    host: endpoint.host,
    port: endpoint.port,
    secure: endpoint.implicitTls,
    requireTLS: !endpoint.implicitTls,
    auth: { user: credentials.user, pass: credentials.pass },
    tls: { ...verifiedTls(endpoint.ca), servername: endpoint.servername },
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 60_000,
  });
  try {
    const info = await transport.sendMail({ envelope, raw });
    const rejectedErrors = (info as { rejectedErrors?: { recipient?: string; response?: string }[] }).rejectedErrors ?? [];
    return {
      accepted: (info.accepted ?? []).map(String),
      rejected: rejectedErrors.map((e) => ({ address: e.recipient ?? '', reply: e.response?.trim() ?? '' })),
    };
  } catch (error) {
    throw toGatewayError(error as SmtpFailure);
  } finally {
    transport.close();
  }
}
