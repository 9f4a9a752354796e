import type { Session } from '../sessions/session-store.ts';

/** Hono context variables set by the gateway's middleware. */
export interface GatewayEnv {
  Variables: {
    session: Session;
    clientIp: string;
    /** The browser reached us over HTTPS (directly, or through a trusted proxy that says so). */
    https: boolean;
  };
}
