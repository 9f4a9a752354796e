import type { Session } from '../sessions/session-store.ts';

/** Hono context variables set by the gateway's middleware. */
export interface GatewayEnv {
  Variables: {
    session: Session;
    clientIp: string;
  };
}
