import type { Hono } from 'hono';
import { setTimeout as sleep } from 'node:timers/promises';
import { LoginRequest, type SessionInfo } from '../../shared/session.ts';
import type { AuthThrottle } from '../../mailserver/security/auth-throttle.ts';
import type { Logger } from '../../mailserver/log/logger.ts';
import { GatewayError } from '../errors.ts';
import type { GatewayEnv } from '../http/env.ts';
import { readJson } from '../http/validate.ts';
import { connectClient, createImapClient, LoginRefused, PooledImapConnection, proxyClientInfo, type ImapEndpoint } from '../mail/imap-connection.ts';
import { clearSessionCookie, requireSession, setSessionCookie, SESSION_COOKIE } from '../sessions/middleware.ts';
import { Session, type SessionStore } from '../sessions/session-store.ts';
import { getCookie } from 'hono/cookie';

export interface SessionRouteDeps {
  sessions: SessionStore;
  throttle: AuthThrottle;
  imap: ImapEndpoint;
  log: Logger;
  maxAttachmentBytes: number;
}

function describe(sessions: SessionStore, session: Session): SessionInfo {
  return {
    address: session.address,
    csrfToken: session.csrfToken,
    expiresAt: sessions.expiresAt(session).toISOString(),
    idleTimeoutSeconds: Math.round(sessions.timeouts.idleMs / 1000),
  };
}

export function sessionRoutes(api: Hono<GatewayEnv>, deps: SessionRouteDeps): void {
  const { sessions, throttle, log } = deps;

  api.post('/session', async (c) => {
    const { address, password } = await readJson(c, LoginRequest);
    const ip = c.get('clientIp');
    if (throttle.isLocked(ip, address)) {
      log.warn('gateway.login.locked', { ip, user: address });
      throw new GatewayError('throttled', 'Too many failed logins; wait a few minutes before trying again.', { retryAfter: 300 });
    }
    const clientInfo = proxyClientInfo(deps.imap, ip);
    const client = createImapClient(deps.imap, { user: address, pass: password }, clientInfo);
    try {
      await connectClient(client);
    } catch (error) {
      if (!(error instanceof LoginRefused)) throw error;
      const delay = throttle.fail(ip, address);
      log.warn('gateway.login.failed', { ip, user: address });
      await sleep(delay);
      // One answer for a wrong address and a wrong password: nothing to learn about which accounts exist.
      throw new GatewayError('bad_credentials', 'The address or password is not right.');
    }
    throttle.succeed(address);
    const previous = getCookie(c, SESSION_COOKIE);
    if (previous) await sessions.destroy(previous);
    const imap = new PooledImapConnection(deps.imap, { user: address, pass: password }, clientInfo);
    imap.adopt(client);
    const session = new Session(address, password, ip, imap, Date.now(), deps.maxAttachmentBytes);
    sessions.add(session);
    setSessionCookie(c, session, Math.round(sessions.timeouts.absoluteMs / 1000));
    log.info('gateway.login', { ip, user: address });
    return c.json(describe(sessions, session), 201);
  });

  api.get('/session', requireSession(sessions), (c) => c.json(describe(sessions, c.get('session'))));

  api.delete('/session', requireSession(sessions), async (c) => {
    await sessions.destroy(c.get('session').id);
    clearSessionCookie(c);
    return c.body(null, 204);
  });
}
