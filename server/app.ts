import { Hono } from 'hono';
import { AuthThrottle } from '../mailserver/security/auth-throttle.ts';
import { GatewayError } from './errors.ts';
import { clientIp } from './http/client-ip.ts';
import type { GatewayEnv } from './http/env.ts';
import { errorHandler, errorResponse } from './http/error-handler.ts';
import { securityHeaders } from './http/security-headers.ts';
import { serveClient } from './http/static-client.ts';
import { DEFAULT_MAX_ATTACHMENT_BYTES, type GatewayOptions } from './options.ts';
import { composeRoutes } from './routes/compose.ts';
import { eventRoutes } from './routes/events.ts';
import { folderRoutes } from './routes/folders.ts';
import { messageRoutes } from './routes/messages.ts';
import { sessionRoutes } from './routes/session.ts';
import { requireSession, sameOriginOnly } from './sessions/middleware.ts';
import { SessionStore } from './sessions/session-store.ts';
import { SanitizePool } from './mail/sanitize-pool.ts';

export interface Gateway {
  app: Hono<GatewayEnv>;
  sessions: SessionStore;
  close(): Promise<void>;
}

export function createGateway(options: GatewayOptions): Gateway {
  const sessions = new SessionStore(options.timeouts);
  const throttle = new AuthThrottle(options.throttle);
  const maxAttachmentBytes = options.maxAttachmentBytes ?? DEFAULT_MAX_ATTACHMENT_BYTES;
  const sanitizer = new SanitizePool();
  const app = new Hono<GatewayEnv>();
  app.use('*', clientIp(options.trustProxy ?? false));
  app.use('*', securityHeaders());
  app.onError(errorHandler(options.log));

  const api = new Hono<GatewayEnv>();
  api.use('*', sameOriginOnly());
  sessionRoutes(api, { sessions, throttle, imap: options.imap, log: options.log, maxAttachmentBytes });
  api.use('*', requireSession(sessions));
  folderRoutes(api);
  messageRoutes(api, sanitizer);
  composeRoutes(api, options.smtp, options.log);
  eventRoutes(api, options.imap, options.log);
  app.route('/api', api);
  app.notFound((c) =>
    c.req.path.startsWith('/api/') ? errorResponse(c, new GatewayError('not_found', `No API endpoint ${c.req.method} ${c.req.path}.`)) : c.text('Not found', 404),
  );
  serveClient(app, options.staticDir);

  return {
    app,
    sessions,
    async close() {
      await sessions.closeAll();
      await sanitizer.close();
    },
  };
}
