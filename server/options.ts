import type { Logger } from '../mailserver/log/logger.ts';
import type { ThrottleOptions } from '../mailserver/security/auth-throttle.ts';
import type { ImapEndpoint } from './mail/imap-connection.ts';
import type { SmtpEndpoint } from './mail/submit.ts';
import type { SessionTimeouts } from './sessions/session-store.ts';

export interface GatewayOptions {
  imap: ImapEndpoint;
  smtp: SmtpEndpoint;
  log: Logger;
  timeouts?: SessionTimeouts;
  /** Attachment bytes one message may carry (uploads are refused beyond it). */
  maxAttachmentBytes?: number;
  /** The built SPA (dist/client); null or missing: API only. */
  staticDir?: string | null;
  /** Believe X-Forwarded-For / -Proto (only behind a reverse proxy you run). */
  trustProxy?: boolean;
  throttle?: ThrottleOptions;
}

export const DEFAULT_MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024;
