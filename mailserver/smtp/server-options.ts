import type { SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import type { Config } from '../config/index.ts';
import { ConnectionLimiter } from '../security/connection-limits.ts';
import type { TlsMaterial } from '../tls/certificate.ts';
import './greeting-delay.ts';
import { reply } from './replies.ts';

/** Socket errors that only mean the client went away. */
export const QUIET_SOCKET_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED']);

type LimitedSession = SMTPServerSession & { overLimit?: boolean };

/**
 * What the inbound and submission listeners share: TLS, limits, enhanced status codes, DSN (RFC 3461),
 * and no REQUIRETLS (RFC 8689), which the queue does not honour yet. `onClose` runs after the per-address
 * connection slot is released.
 */
export function sharedServerOptions(
  config: Config,
  tls: TlsMaterial,
  maxMessageBytes: number,
  greetingDelayMs: number,
  onClose?: (session: SMTPServerSession) => void,
): SMTPServerOptions {
  const perIp = new ConnectionLimiter(config.smtp.maxConnectionsPerIp);
  return {
    name: config.hostname,
    key: tls.key,
    cert: tls.cert,
    hideENHANCEDSTATUSCODES: false,
    hideDSN: false,
    // greeting-delay.ts: smtp-server's fixed 100 ms pause before the banner becomes this setting.
    ...({ greetingDelayMs: () => greetingDelayMs } as object),
    ...({ hideREQUIRETLS: true } as object),
    size: maxMessageBytes,
    // Every DNS lookup goes through the one resolver (MAILWERK_DNS), never smtp-server's own.
    disableReverseLookup: true,
    maxCommandLength: config.smtp.maxLineLength,
    socketTimeout: config.smtp.timeout * 1000,
    logger: false,
    onConnect(session, callback) {
      if (!perIp.acquire(session.remoteAddress)) {
        (session as LimitedSession).overLimit = true;
        return callback(reply(421, '4.7.0', 'Too many connections from your address; try again later'));
      }
      callback();
    },
    onClose(session) {
      if (!(session as LimitedSession).overLimit) perIp.release(session.remoteAddress);
      onClose?.(session);
    },
  };
}
