import { GatewayError } from '../errors.ts';
import { LoginRefused, MailServerUnavailable } from './imap-connection.ts';

interface ImapFlowError {
  responseStatus?: string;
  serverResponseCode?: string;
  responseText?: string;
  code?: string;
  authenticationFailed?: boolean;
}

const CONNECTION_CODES = new Set(['NoConnection', 'EConnectionClosed', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ClosedAfterConnectTLS', 'ProtocolError']);

/**
 * imapflow's failures as API errors: a NO from the server keeps its text (it says why), a lost connection is
 * "unavailable" (the next request reconnects). Anything else is not an IMAP failure and returns null.
 */
export function translateImapError(error: unknown): GatewayError | null {
  if (error instanceof MailServerUnavailable) return new GatewayError('mail_server_unavailable', 'The mail server cannot be reached just now; try again in a moment.');
  if (error instanceof LoginRefused) return new GatewayError('unauthenticated', 'The mail server no longer accepts this session; log in again.');
  const e = error as ImapFlowError;
  if (e.responseStatus === 'NO' || e.responseStatus === 'BAD') {
    const text = (e.responseText ?? '').replace(/^\[[^\]]*\]\s*/, '') || 'The mail server refused the request.';
    switch (e.serverResponseCode?.toUpperCase()) {
      case 'NONEXISTENT':
      case 'TRYCREATE':
        return new GatewayError('not_found', text);
      case 'ALREADYEXISTS':
        return new GatewayError('conflict', text);
      case 'OVERQUOTA':
      case 'LIMIT':
        return new GatewayError('too_large', text);
      case 'UNAVAILABLE':
      case 'INUSE':
        return new GatewayError('mail_server_unavailable', text);
      default:
        return new GatewayError('conflict', text);
    }
  }
  if (e.code && CONNECTION_CODES.has(e.code)) return new GatewayError('mail_server_unavailable', 'The connection to the mail server was lost; try again.');
  return null;
}
