import { resolve } from 'node:path';
import type { Config } from '../config/index.ts';
import type { Logger } from '../log/logger.ts';
import type { TlsMaterial } from '../tls/certificate.ts';
import { startGateway, type RunningGateway } from '../../server/start.ts';

const CLIENT_DIR = resolve(import.meta.dirname, '../../dist/client');

/** Where a local client reaches a listener bound to `listen`: a wildcard bind is reached over loopback. */
export function localAddress(listen: string): string {
  if (listen === '0.0.0.0' || listen === '') return '127.0.0.1';
  if (listen === '::') return '::1';
  return listen;
}

/**
 * The webmail gateway beside the mail server, talking to it like any other client would: IMAPS and
 * submission with implicit TLS, verifying the server's certificate by the configured hostname. The
 * certificate itself is trusted as an extra anchor, which is what makes the generated self-signed one work
 * without ever turning verification off.
 */
export function startWebmail(config: Config, tls: TlsMaterial, ports: Record<string, number>, log: Logger, proxySecret: string): Promise<RunningGateway> {
  const host = localAddress(config.listen);
  const trust = { servername: config.hostname, ca: tls.cert };
  return startGateway({
    host: config.listen,
    port: config.ports.http,
    imap: { host, port: ports.imaps!, implicitTls: true, proxySecret, ...trust },
    smtp: { host, port: ports.submissions!, implicitTls: true, ...trust },
    log: log.child({ service: 'gateway' }),
    staticDir: CLIENT_DIR,
    https: config.webmail.tls ? { cert: tls.cert, key: tls.key } : undefined,
    trustProxy: config.webmail.trustProxy,
    timeouts: { idleMs: config.webmail.sessionIdle * 1000, absoluteMs: config.webmail.sessionMax * 1000 },
    maxAttachmentBytes: config.webmail.maxAttachmentBytes,
  });
}
