import type { MiddlewareHandler } from 'hono';
import type { GatewayEnv } from './env.ts';

/**
 * Headers on every response. The policy allows only the SPA's own scripts; inline styles are allowed because
 * the message view's sanitized mail relies on them (scripts never are). Mail images may come from anywhere,
 * since the client decides per message whether remote content loads; frames come only from blob: or srcdoc
 * (the sandboxed message view).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  'img-src * data: blob:',
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-src 'self' blob:",
  "frame-ancestors 'none'",
  "form-action 'self'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

export function securityHeaders(): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    await next();
    const headers = c.res.headers;
    if (!headers.has('Content-Security-Policy')) headers.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    headers.set('X-Content-Type-Options', 'nosniff');
    headers.set('Referrer-Policy', 'no-referrer');
    headers.set('X-Frame-Options', 'DENY');
    headers.set('Cross-Origin-Opener-Policy', 'same-origin');
    headers.set('Cross-Origin-Resource-Policy', 'same-origin');
    headers.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
    if (c.req.path.startsWith('/api/')) headers.set('Cache-Control', 'no-store');
    if (c.get('https')) headers.set('Strict-Transport-Security', 'max-age=31536000');
  };
}
