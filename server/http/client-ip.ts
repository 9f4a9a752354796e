import type { MiddlewareHandler } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { GatewayEnv } from './env.ts';

/**
 * The browser's address and whether it used HTTPS, for login throttling and logs. X-Forwarded-For is believed only when the gateway is
 * configured to sit behind a proxy; otherwise anyone could claim any address and dodge the throttle.
 */
export function clientIp(trustProxy: boolean): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    let ip = '';
    if (trustProxy) ip = c.req.header('x-forwarded-for')?.split(',').pop()?.trim() ?? '';
    if (!ip) {
      try {
        ip = getConnInfo(c).remote.address ?? '';
      } catch {
        ip = '';
      }
    }
    c.set('clientIp', ip.replace(/^::ffff:/, '') || 'unknown');
    const forwardedProto = trustProxy ? c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() : undefined;
    c.set('https', forwardedProto ? forwardedProto === 'https' : new URL(c.req.url).protocol === 'https:');
    await next();
  };
}
