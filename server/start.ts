import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { createGateway, type Gateway } from './app.ts';
import type { GatewayOptions } from './options.ts';

export interface RunningGateway {
  gateway: Gateway;
  port: number;
  close(): Promise<void>;
}

/** Listen for browsers on host:port (0 picks a free port) and return what was bound. */
export async function startGateway(options: GatewayOptions & { host: string; port: number }): Promise<RunningGateway> {
  const gateway = createGateway(options);
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: gateway.app.fetch, hostname: options.host, port: options.port }, () => resolve(s));
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
