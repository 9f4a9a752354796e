import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { serveStatic } from '@hono/node-server/serve-static';
import type { GatewayEnv } from './env.ts';

/**
 * The built SPA from the same origin (so the session cookie can stay SameSite=Strict and the CSP 'self').
 * Hashed assets are cached for long; any other path that is not an API call gets index.html, so deep links
 * into the app work on reload.
 */
export function serveClient(app: Hono<GatewayEnv>, staticDir: string | null | undefined): void {
  const index = staticDir ? join(staticDir, 'index.html') : null;
  if (!staticDir || !index || !existsSync(index)) {
    app.get('/', (c) => c.text('Mailwerk gateway: the webmail client is not built (run `npx vite build`). The API is under /api.', 200));
    return;
  }
  const indexHtml = readFileSync(index, 'utf8');
  app.use('/assets/*', async (c, next) => {
    await next();
    if (c.res.status === 200) c.res.headers.set('Cache-Control', 'public, max-age=31536000, immutable');
  });
  app.use('*', serveStatic({ root: staticDir }));
  app.get('*', (c) => {
    if (c.req.path.startsWith('/api/')) return c.notFound();
    c.header('Cache-Control', 'no-cache');
    return c.html(indexHtml);
  });
}
