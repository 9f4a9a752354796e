import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { MailEvent } from '../../shared/events.ts';
import type { Logger } from '../../mailserver/log/logger.ts';
import type { GatewayEnv } from '../http/env.ts';
import type { ImapEndpoint } from '../mail/imap-connection.ts';
import { MailWatcher } from '../mail/watcher.ts';
import type { Session } from '../sessions/session-store.ts';

const watchers = new WeakMap<Session, MailWatcher>();

function watcherFor(session: Session, imap: ImapEndpoint, log: Logger): MailWatcher {
  let watcher = watchers.get(session);
  if (!watcher) {
    watcher = new MailWatcher(imap, { user: session.address, pass: session.password }, session.imap, log, session.clientIp);
    watchers.set(session, watcher);
    const stop = watcher.stop.bind(watcher);
    session.onClose(stop);
  }
  return watcher;
}

/** GET /api/events?folder=INBOX — a server-sent event stream fed by IMAP IDLE on that folder. */
export function eventRoutes(api: Hono<GatewayEnv>, imap: ImapEndpoint, log: Logger): void {
  api.get('/events', (c) => {
    const session = c.get('session');
    const folder = c.req.query('folder') || 'INBOX';
    return streamSSE(c, async (stream) => {
      const queue: MailEvent[] = [];
      let wake: (() => void) | null = null;
      let open = true;
      const unsubscribe = watcherFor(session, imap, log).subscribe(folder, (event) => {
        queue.push(event);
        wake?.();
      });
      const endWithSession = session.onClose(() => {
        open = false;
        wake?.();
      });
      stream.onAbort(() => {
        open = false;
        wake?.();
      });
      try {
        while (open) {
          const event = queue.shift();
          if (event) {
            await stream.writeSSE({ event: event.type, data: JSON.stringify(event) });
            continue;
          }
          // A comment every 25 s keeps proxies from closing a quiet stream.
          const keepAlive = setTimeout(() => wake?.(), 25_000);
          await new Promise<void>((resolve) => (wake = resolve));
          clearTimeout(keepAlive);
          wake = null;
          if (open && queue.length === 0) await stream.write(': keep-alive\n\n');
        }
      } finally {
        unsubscribe();
        endWithSession();
      }
    });
  });
}
