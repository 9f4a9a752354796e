import type { AddressInfo } from 'node:net';
import { createServer as createHttpsServer } from 'node:https';
import { serve, type ServerType } from '@hono/node-server';
import { createGateway, type Gateway } from './app.ts';
import type { GatewayOptions } from './options.ts';

export interface RunningGateway {
  gateway: Gateway;
  port: number;
  close(): Promise<void>;
}

/** Listen for browsers on host:port (0 picks a free port) and return what was bound. */
export async function startGateway(options: GatewayOptions & { host: string; port: number; https?: { cert: string; key: string } }): Promise<RunningGateway> {
  const gateway = createGateway(options);
  const tls = options.https ? { createServer: createHttpsServer, serverOptions: { cert: options.https.cert, key: options.https.key, minVersion: 'TLSv1.2' as const } } : {};
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: gateway.app.fetch, hostname: options.host, port: options.port, ...tls }, () => resolve(s));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    gateway,
    port,
    async close() {
      await gateway.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    },
  };
}
