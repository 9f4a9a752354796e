import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { ImapFlow, type MailboxLockObject } from 'imapflow';
import { ID_ORIGINATING_IP, ID_PROXY_SECRET } from '../../mailserver/security/proxy-secret.ts';

/** Where and how the gateway reaches the IMAP server: always TLS, always verified. */
export interface ImapEndpoint {
  host: string;
  port: number;
  /** True for implicit TLS (IMAPS); false for STARTTLS, which is then required. */
  implicitTls: boolean;
  /** Name the certificate must carry (defaults to host). */
  servername?: string;
  /** Extra trust anchor in PEM, e.g. the mail server's generated certificate. */
  ca?: string;
  /** Shown in IMAP ID with the browser's address, so the server throttles per browser, not per gateway. */
  proxySecret?: string;
}

/** ID fields naming the browser a connection acts for (understood by Mailwerk, ignored by other servers). */
export function proxyClientInfo(endpoint: ImapEndpoint, browserIp: string): Record<string, string> {
  return endpoint.proxySecret ? { [ID_ORIGINATING_IP]: browserIp, [ID_PROXY_SECRET]: endpoint.proxySecret } : {};
}

export interface Credentials {
  user: string;
  pass: string;
}

const trustContexts = new Map<string, SecureContext>();

/**
 * TLS settings that trust the public roots plus the extra anchor (setting `ca` alone would replace Node's
 * roots, so a certificate from a public CA must still verify). The context is built once per anchor: parsing
 * the ~140 public roots costs about 50 ms of CPU, which every login and reconnect would otherwise pay.
 */
export function verifiedTls(extra: string | undefined): { secureContext?: SecureContext; rejectUnauthorized: true; minVersion: 'TLSv1.2' } {
  if (!extra) return { rejectUnauthorized: true, minVersion: 'TLSv1.2' };
  let secureContext = trustContexts.get(extra);
  if (!secureContext) {
    secureContext = createSecureContext({ ca: [...rootCertificates, extra], minVersion: 'TLSv1.2' });
    trustContexts.set(extra, secureContext);
  }
  return { secureContext, rejectUnauthorized: true, minVersion: 'TLSv1.2' };
}

/** Login refused by the server: wrong address or password, a disabled account, or its brute-force lock. */
export class LoginRefused extends Error {}

/** The server could not be reached or dropped us; a later request reconnects. */
export class MailServerUnavailable extends Error {}

/** `commands` answers HTTP requests and never idles; `watch` sits in IDLE to feed the push stream. */
export type ConnectionPurpose = 'commands' | 'watch';

export function createImapClient(endpoint: ImapEndpoint, credentials: Credentials, clientInfo: Record<string, string> = {}, purpose: ConnectionPurpose = 'commands'): ImapFlow {
  const client = new ImapFlow({
    host: endpoint.host,
    port: endpoint.port,
    secure: endpoint.implicitTls,
    doSTARTTLS: endpoint.implicitTls ? undefined : true,
    servername: endpoint.servername,
    tls: verifiedTls(endpoint.ca),
    auth: { user: credentials.user, pass: credentials.pass },
    clientInfo: { name: 'Mailwerk webmail', ...clientInfo },
    logger: false,
    qresync: true,
    disableAutoIdle: purpose === 'commands',
    autoIdleDelay: 200,
    // Re-issue IDLE well inside the 30 minutes RFC 2177 lets servers wait before dropping an idle client.
    maxIdleTime: 5 * 60_000,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 5 * 60_000,
  });
  // imapflow reports socket trouble as 'error' events as well as rejected commands; without a listener an
  // 'error' event would end the process. The rejection is what callers handle.
  client.on('error', () => undefined);
  return client;
}

/** Connect and log in, turning imapflow's errors into the two outcomes callers care about. */
export async function connectClient(client: ImapFlow): Promise<ImapFlow> {
  try {
    await client.connect();
    return client;
  } catch (error) {
    client.close();
    const e = error as { authenticationFailed?: boolean; message?: string };
    if (e.authenticationFailed) throw new LoginRefused('login refused');
    throw new MailServerUnavailable(`cannot reach the mail server: ${e.message ?? String(error)}`);
  }
}

/**
 * The session's one command connection. A dropped connection is replaced on the next use, so a mail
 * server restart costs the user nothing but a reconnect; work in flight when it dropped fails (it may or
 * may not have happened, so it is not silently repeated).
 */
export class PooledImapConnection {
  private client: ImapFlow | null = null;
  private connecting: Promise<ImapFlow> | null = null;
  private closed = false;

  constructor(
    private readonly endpoint: ImapEndpoint,
    private readonly credentials: Credentials,
    private readonly clientInfo: Record<string, string> = {},
  ) {}

  /** Adopt an already logged-in client (the one that proved the password at login). */
  adopt(client: ImapFlow): void {
    this.client = client;
  }

  async get(): Promise<ImapFlow> {
    if (this.closed) throw new MailServerUnavailable('session closed');
    if (this.client?.usable) return this.client;
    this.client = null;
    this.connecting ??= connectClient(createImapClient(this.endpoint, this.credentials, this.clientInfo)).finally(() => {
      this.connecting = null;
    });
    const client = await this.connecting;
    if (this.closed) {
      client.close();
      throw new MailServerUnavailable('session closed');
    }
    this.client = client;
    return client;
  }

  /** Run `work` with `path` selected; the lock keeps concurrent requests from switching folders under it. */
  async inMailbox<T>(path: string, work: (client: ImapFlow, lock: MailboxLockObject) => Promise<T>): Promise<T> {
    const client = await this.get();
    const lock = await client.getMailboxLock(path);
    try {
      return await work(client, lock);
    } finally {
      lock.release();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = null;
    if (!client) return;
    try {
      await Promise.race([client.logout(), new Promise((r) => setTimeout(r, 2000))]);
    } catch {
      // already gone
    }
    client.close();
  }
}
