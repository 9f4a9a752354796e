import { z } from 'zod';
import { NetworkList } from '../security/networks.ts';

/**
 * The whole configuration, after the file and the MAILWERK_* variables are merged.
 * Field names mirror the config file; `ENV_NAMES` maps each variable onto a path here.
 */

const port = z.coerce.number().int().min(0, 'must be 0..65535').max(65535, 'must be 0..65535');

const hostname = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/, 'must be a DNS host name');

const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])]).transform((v) =>
  typeof v === 'boolean' ? v : v === 'true' || v === '1' || v === 'yes',
);

/** "512M", "2G", "1048576" → bytes. */
const byteSize = z.union([z.number().int().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const m = /^\s*(\d+)\s*([KMGT]?)B?\s*$/i.exec(v);
  if (!m) {
    ctx.addIssue({ code: 'custom', message: 'must be a size such as 500M or 2G' });
    return z.NEVER;
  }
  const unit = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[m[2]!.toUpperCase() as '' | 'K'];
  return Number(m[1]) * unit;
});

/** "90", "90s", "250ms", "15m", "4h", "5d" → seconds. */
const duration = z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const m = /^\s*(\d+)\s*(ms|[smhd]?)\s*$/i.exec(v);
  if (!m) {
    ctx.addIssue({ code: 'custom', message: 'must be a duration such as 250ms, 90s, 15m, 4h or 5d' });
    return z.NEVER;
  }
  const unit = { '': 1, ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }[m[2]!.toLowerCase() as ''];
  return Number(m[1]) * unit;
});

const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s\[\]]+):\d{1,5}$/, 'must be host:port');

const commaList = z
  .union([z.array(z.string()), z.string()])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean));

const cidr = z.string().regex(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, 'must be an address or CIDR such as 10.0.0.0/8');

export const configSchema = z.object({
  data: z.string().min(1).default('./data'),
  hostname: hostname.default('localhost'),
  domain: hostname.default('localhost'),
  adminPassword: z.string().min(8, 'must be at least 8 characters').optional(),
  listen: z.string().min(1).default('127.0.0.1'),
  ports: z
    .object({
      smtp: port.default(2525),
      submission: port.default(2587),
      submissions: port.default(2465),
      imap: port.default(2143),
      imaps: port.default(2993),
      pop3: port.default(2110),
      pop3s: port.default(2995),
      http: port.default(8080),
    })
    .prefault({}),
  dns: z
    .string()
    // An address, not a name: the resolver cannot look up its own server.
    .regex(/^(\[[0-9a-fA-F:]+\]|\d{1,3}(\.\d{1,3}){3}):\d{1,5}$/, 'must be IP:port, e.g. 127.0.0.1:53 or [::1]:53')
    .optional(),
  tls: z.object({ cert: z.string().optional(), key: z.string().optional() }).prefault({}),
  store: z
    .string()
    .refine((v) => v === 'sqlite' || /^postgres(ql)?:\/\//.test(v), 'must be sqlite or a postgres:// URL')
    .default('sqlite'),
  redis: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .optional(),
  directory: z
    .string()
    .refine((v) => v === 'internal' || /^ldaps?:\/\//.test(v), 'must be internal or an ldap:// or ldaps:// URL')
    .default('internal'),
  dnsbl: commaList.default([]),
  dnswl: commaList.default([]),
  relayNetworks: commaList
    .pipe(z.array(cidr))
    .refine((list) => {
      try {
        return new NetworkList(list).size >= 0;
      } catch {
        return false;
      }
    }, 'must be addresses or CIDRs such as 10.0.0.0/8 or 2001:db8::/32')
    .default([]),
  /** Allow LOGIN / AUTH PLAIN without TLS from loopback clients (off: TLS is always required first). */
  allowPlaintextLoopback: bool.default(false),
  quota: z.object({ defaultBytes: byteSize.default(1024 ** 3) }).prefault({}),
  imap: z
    .object({
      maxLiteralBytes: byteSize.default(64 * 1024 ** 2),
      // RFC 9051 asks for at least 30 minutes; lower values are for tests and hostile environments.
      idleTimeoutSeconds: z.coerce.number().int().min(5, 'must be at least 5 seconds').default(30 * 60),
      maxConnectionsPerIp: z.coerce.number().int().min(1).default(200),
      maxConnectionsPerAccount: z.coerce.number().int().min(1).default(100),
    })
    .prefault({}),
  smtp: z
    .object({
      maxConnectionsPerIp: z.coerce.number().int().min(1).default(50),
      maxRecipients: z.coerce.number().int().min(1).default(100),
      /** Refused commands (unknown users, relaying attempts) before the connection is closed. */
      maxErrors: z.coerce.number().int().min(1).default(10),
      /** Longest command line; longer ones end the session with 421 (RFC 5321 asks for at least 512). */
      maxLineLength: z.coerce.number().int().min(512).default(4096),
      /** Idle time before the session is closed with 421 (RFC 5321 §4.5.3.2 suggests 5 minutes). */
      timeout: duration.default(300),
      /** Pause before the inbound greeting; clients that talk into it are refused (pregreet test). */
      greetingDelay: duration.default(0),
    })
    .prefault({}),
  submission: z
    .object({
      /** Per account, so a stolen password cannot turn into a spam cannon. */
      messagesPerHour: z.coerce.number().int().min(1).default(200),
      messagesPerDay: z.coerce.number().int().min(1).default(1000),
      recipientsPerHour: z.coerce.number().int().min(1).default(500),
      recipientsPerDay: z.coerce.number().int().min(1).default(2000),
    })
    .prefault({}),
  queue: z
    .object({
      /** Port for deliveries found through MX or address records: 25 on the internet. */
      mxPort: port.default(25),
      /** Send every remote message through this host instead of looking up MX records. */
      smarthost: hostPort.optional(),
      retryBase: duration.default(300),
      maxRetry: duration.default(3600),
      lifetime: duration.default(5 * 86400),
      warnAfter: duration.default(4 * 3600),
      concurrency: z.coerce.number().int().min(1).default(20),
    })
    .prefault({}),
  webmail: z
    .object({
      /** Serve the webmail over HTTPS with the server's certificate (else plain HTTP, e.g. behind a proxy). */
      tls: bool.default(false),
      /** Believe X-Forwarded-For / X-Forwarded-Proto: only behind a reverse proxy you run. */
      trustProxy: bool.default(false),
      /** A session ends after this long without a request, and after sessionMax in any case. */
      sessionIdle: duration.default(30 * 60),
      sessionMax: duration.default(12 * 3600),
      /** Attachment bytes one message may carry; uploads beyond it are refused before they are read. */
      maxAttachmentBytes: byteSize.default(25 * 1024 ** 2),
    })
    .prefault({}),
  log: z.object({ level: z.enum(['debug', 'info', 'warn', 'error']).default('info') }).prefault({}),
});

export type Config = z.infer<typeof configSchema>;

/** MAILWERK_* variable → dotted path in the config object. */
export const ENV_NAMES: Record<string, string> = {
  MAILWERK_DATA: 'data',
  MAILWERK_HOSTNAME: 'hostname',
  MAILWERK_DOMAIN: 'domain',
  MAILWERK_ADMIN_PASSWORD: 'adminPassword',
  MAILWERK_LISTEN: 'listen',
  MAILWERK_SMTP_PORT: 'ports.smtp',
  MAILWERK_SUBMISSION_PORT: 'ports.submission',
  MAILWERK_SUBMISSIONS_PORT: 'ports.submissions',
  MAILWERK_IMAP_PORT: 'ports.imap',
  MAILWERK_IMAPS_PORT: 'ports.imaps',
  MAILWERK_POP3_PORT: 'ports.pop3',
  MAILWERK_POP3S_PORT: 'ports.pop3s',
  MAILWERK_HTTP_PORT: 'ports.http',
  MAILWERK_DNS: 'dns',
  MAILWERK_TLS_CERT: 'tls.cert',
  MAILWERK_TLS_KEY: 'tls.key',
  MAILWERK_STORE: 'store',
  MAILWERK_REDIS: 'redis',
  MAILWERK_DIRECTORY: 'directory',
  MAILWERK_DNSBL: 'dnsbl',
  MAILWERK_DNSWL: 'dnswl',
  MAILWERK_RELAY_NETWORKS: 'relayNetworks',
  MAILWERK_ALLOW_PLAINTEXT_LOOPBACK: 'allowPlaintextLoopback',
  MAILWERK_QUOTA: 'quota.defaultBytes',
  MAILWERK_IMAP_MAX_LITERAL: 'imap.maxLiteralBytes',
  MAILWERK_IMAP_IDLE_TIMEOUT: 'imap.idleTimeoutSeconds',
  MAILWERK_IMAP_MAX_CONNECTIONS_PER_IP: 'imap.maxConnectionsPerIp',
  MAILWERK_IMAP_MAX_CONNECTIONS_PER_ACCOUNT: 'imap.maxConnectionsPerAccount',
  MAILWERK_SMTP_MAX_CONNECTIONS_PER_IP: 'smtp.maxConnectionsPerIp',
  MAILWERK_SMTP_MAX_RECIPIENTS: 'smtp.maxRecipients',
  MAILWERK_SMTP_MAX_ERRORS: 'smtp.maxErrors',
  MAILWERK_SMTP_MAX_LINE_LENGTH: 'smtp.maxLineLength',
  MAILWERK_SMTP_TIMEOUT: 'smtp.timeout',
  MAILWERK_SMTP_GREETING_DELAY: 'smtp.greetingDelay',
  MAILWERK_SUBMISSION_MESSAGES_PER_HOUR: 'submission.messagesPerHour',
  MAILWERK_SUBMISSION_MESSAGES_PER_DAY: 'submission.messagesPerDay',
  MAILWERK_SUBMISSION_RECIPIENTS_PER_HOUR: 'submission.recipientsPerHour',
  MAILWERK_SUBMISSION_RECIPIENTS_PER_DAY: 'submission.recipientsPerDay',
  MAILWERK_QUEUE_MX_PORT: 'queue.mxPort',
  MAILWERK_SMARTHOST: 'queue.smarthost',
  MAILWERK_QUEUE_RETRY_BASE: 'queue.retryBase',
  MAILWERK_QUEUE_MAX_RETRY: 'queue.maxRetry',
  MAILWERK_QUEUE_LIFETIME: 'queue.lifetime',
  MAILWERK_QUEUE_WARN_AFTER: 'queue.warnAfter',
  MAILWERK_QUEUE_CONCURRENCY: 'queue.concurrency',
  MAILWERK_HTTP_TLS: 'webmail.tls',
  MAILWERK_HTTP_TRUST_PROXY: 'webmail.trustProxy',
  MAILWERK_WEBMAIL_SESSION_IDLE: 'webmail.sessionIdle',
  MAILWERK_WEBMAIL_SESSION_MAX: 'webmail.sessionMax',
  MAILWERK_WEBMAIL_MAX_ATTACHMENTS: 'webmail.maxAttachmentBytes',
  MAILWERK_LOG_LEVEL: 'log.level',
};
