import { timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { CSRF_HEADER } from '../../shared/session.ts';
import { GatewayError } from '../errors.ts';
import type { GatewayEnv } from '../http/env.ts';
import type { Session, SessionStore } from './session-store.ts';

export const SESSION_COOKIE = 'mailwerk_session';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function isHttps(c: Context): boolean {
  return (c as Context<GatewayEnv>).get('https') ?? new URL(c.req.url).protocol === 'https:';
}

export function setSessionCookie(c: Context, session: Session, maxAgeSeconds: number): void {
  setCookie(c, SESSION_COOKIE, session.id, { httpOnly: true, sameSite: 'Strict', secure: isHttps(c), path: '/', maxAge: maxAgeSeconds });
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure: isHttps(c) });
}

/**
 * A state-changing request must come from our own pages: a browser sends Origin (or Sec-Fetch-Site) on
 * cross-site requests, so a foreign Origin is refused even before the token is looked at. This also covers
 * login, which has no session token yet.
 */
export function sameOriginOnly(): MiddlewareHandler {
  return async (c, next) => {
    if (!SAFE_METHODS.has(c.req.method)) {
      const origin = c.req.header('origin');
      const host = c.req.header('host');
      const site = c.req.header('sec-fetch-site');
      const foreignOrigin = origin !== undefined && (origin === 'null' || safeHost(origin) !== host);
      const foreignSite = site !== undefined && site !== 'same-origin' && site !== 'none';
      if (foreignOrigin || foreignSite) throw new GatewayError('csrf', 'Requests from other sites are not accepted.');
    }
    await next();
  };
}

function safeHost(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}

function tokensEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Loads the session from its cookie and, for state-changing requests, checks the CSRF token header. */
export function requireSession(sessions: SessionStore): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const session = sessions.get(getCookie(c, SESSION_COOKIE));
    if (!session) throw new GatewayError('unauthenticated', 'Please log in (the session has ended or never began).');
    if (!SAFE_METHODS.has(c.req.method) && !tokensEqual(c.req.header(CSRF_HEADER) ?? '', session.csrfToken)) {
      throw new GatewayError('csrf', `The request lacks this session's ${CSRF_HEADER} header.`);
    }
    c.set('session', session);
    await next();
  };
}
