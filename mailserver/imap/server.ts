import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import type { Config } from '../config/index.ts';
import type { Directory } from '../directory/types.ts';
import type { Logger } from '../log/logger.ts';
import { AuthThrottle } from '../security/auth-throttle.ts';
import { ConnectionLimiter } from '../security/connection-limits.ts';
import type { TlsMaterial } from '../tls/certificate.ts';
import type { MailStore } from '../store/types.ts';
import { ImapConnection } from './connection.ts';
import type { ImapServices } from './context.ts';

export interface ImapServerOptions {
  config: Config;
  store: MailStore;
  directory: Directory;
  tls: TlsMaterial;
  log: Logger;
  throttle?: AuthThrottle;
  proxySecret?: string | null;
}

/** The IMAP listeners: STARTTLS on the IMAP port, implicit TLS on the IMAPS port. */
export class ImapServer {
  private readonly services: ImapServices;
  private readonly secureContext: SecureContext;
  private readonly ipLimiter: ConnectionLimiter;
  private readonly servers: Server[] = [];
  private readonly connections = new Set<ImapConnection>();

  constructor(options: ImapServerOptions) {
    this.services = {
      config: options.config,
      store: options.store,
      directory: options.directory,
      throttle: options.throttle ?? new AuthThrottle(),
      accountLimiter: new ConnectionLimiter(options.config.imap.maxConnectionsPerAccount),
      ipLimiter: new ConnectionLimiter(options.config.imap.maxConnectionsPerIp),
      proxySecret: options.proxySecret ?? null,
      log: options.log,
    };
    this.ipLimiter = this.services.ipLimiter;
    this.secureContext = createSecureContext({ cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.2' });
  }

  /** Listen; returns the bound port (useful with port 0). */
  listen(port: number, host: string, implicitTls: boolean): Promise<number> {
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket, implicitTls));
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  private accept(raw: Socket, implicitTls: boolean): void {
    const ip = raw.remoteAddress ?? 'unknown';
    if (!this.ipLimiter.acquire(ip)) {
      this.services.log.warn('imap.ip-limit', { remote: ip });
      const refuse = `* BYE Too many connections from your address; close some and try again\r\n`;
      if (!implicitTls) raw.end(refuse);
      else {
        // Finish the handshake so the client can read why it is turned away.
        const secure = new TLSSocket(raw, { isServer: true, secureContext: this.secureContext });
        secure.on('error', () => secure.destroy());
        secure.once('secure', () => secure.end(refuse));
      }
      return;
    }
    let socket: Socket = raw;
    if (implicitTls) {
      const secure = new TLSSocket(raw, { isServer: true, secureContext: this.secureContext });
      secure.on('error', () => secure.destroy());
      socket = secure;
    }
    const connection = new ImapConnection(socket, implicitTls, this.services, this.secureContext);
    this.connections.add(connection);
    connection.onClose(() => {
      this.connections.delete(connection);
      // ID from a trusted proxy may have moved the slot to the browser's address.
      this.ipLimiter.release(connection.remoteAddress);
    });
    if (implicitTls) (socket as TLSSocket).once('secure', () => connection.start());
    else connection.start();
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  async close(): Promise<void> {
    for (const server of this.servers) server.close();
    for (const connection of this.connections) connection.close();
  }
}
