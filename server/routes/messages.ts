import type { Context, Hono } from 'hono';
import { Readable } from 'node:stream';
import { ActionRequest, PageQuery, SearchQuery } from '../../shared/messages.ts';
import { GatewayError } from '../errors.ts';
import type { GatewayEnv } from '../http/env.ts';
import { folderParam, readJson, readQuery, uidParam } from '../http/validate.ts';
import { applyAction } from '../mail/actions.ts';
import { contentDisposition, downloadPart, isInlineSafe, partForContentId, type PartDownload } from '../mail/downloads.ts';
import { parseHeaderBlock } from '../mail/header-block.ts';
import { fetchMessage, readMessage } from '../mail/message-detail.ts';
import { listPage } from '../mail/message-list.ts';
import type { SanitizePool } from '../mail/sanitize-pool.ts';
import { parseSearchQuery } from '../mail/search-query.ts';
import { parseSpamReport } from '../mail/spam-report.ts';
import { readThread } from '../mail/threads.ts';

/** Served parts may be hostile: never sniffed, never scripted, never framed. */
const DOWNLOAD_CSP = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'";

function streamDownload(c: Context, download: PartDownload, wantInline: boolean): Response {
  const inline = wantInline && isInlineSafe(download.contentType);
  const headers = new Headers({
    'Content-Type': inline ? download.contentType : 'application/octet-stream',
    'Content-Disposition': contentDisposition(inline ? 'inline' : 'attachment', download.filename),
    'Content-Security-Policy': DOWNLOAD_CSP,
    'Cache-Control': 'private, max-age=3600',
  });
  return new Response(Readable.toWeb(download.body) as ReadableStream, { headers });
}

function partParam(c: Context): string {
  const part = c.req.param('part') ?? '';
  if (!/^\d{1,4}(\.\d{1,4}){0,20}$/.test(part)) throw new GatewayError('invalid_request', 'part must be a MIME part number like 2 or 1.3.', { field: 'part' });
  return part;
}

export function messageRoutes(api: Hono<GatewayEnv>, sanitizer: SanitizePool): void {
  api.get('/folders/:folder/messages', async (c) => {
    const query = readQuery(c, PageQuery);
    const session = c.get('session');
    return c.json(await listPage(session.imap, folderParam(c), query, session.unreadSeen));
  });

  api.get('/folders/:folder/search', async (c) => {
    const query = readQuery(c, SearchQuery);
    const parsed = parseSearchQuery(query.q);
    if (!parsed.ok) throw new GatewayError('invalid_request', parsed.message, { field: 'q' });
    const session = c.get('session');
    return c.json(await listPage(session.imap, folderParam(c), query, session.unreadSeen, parsed.search));
  });

  api.get('/folders/:folder/messages/:uid', async (c) => {
    return c.json(await readMessage(c.get('session').imap, sanitizer, folderParam(c), uidParam(c)));
  });

  api.get('/folders/:folder/messages/:uid/spam-report', async (c) => {
    const imap = c.get('session').imap;
    const report = await imap.inMailbox(folderParam(c), async (client) => {
      const message = await fetchMessage(client, uidParam(c), { uid: true, headers: ['x-spam-status', 'x-spam-report'] });
      return parseSpamReport(parseHeaderBlock(message.headers ?? Buffer.alloc(0)));
    });
    return c.json(report);
  });

  api.get('/folders/:folder/messages/:uid/parts/:part', async (c) => {
    const download = await downloadPart(c.get('session').imap, folderParam(c), uidParam(c), partParam(c));
    return streamDownload(c, download, c.req.query('inline') === '1');
  });

  api.get('/folders/:folder/messages/:uid/cid/:cid', async (c) => {
    const imap = c.get('session').imap;
    const folder = folderParam(c);
    const uid = uidParam(c);
    const part = await partForContentId(imap, folder, uid, c.req.param('cid') ?? '');
    return streamDownload(c, await downloadPart(imap, folder, uid, part), true);
  });

  api.get('/folders/:folder/messages/:uid/raw', async (c) => {
    const uid = uidParam(c);
    const download = await downloadPart(c.get('session').imap, folderParam(c), uid, undefined);
    const asFile = c.req.query('download') === '1';
    const headers = new Headers({
      'Content-Type': asFile ? 'message/rfc822' : 'text/plain; charset=utf-8',
      'Content-Disposition': contentDisposition(asFile ? 'attachment' : 'inline', `message-${uid}.eml`),
      'Content-Security-Policy': DOWNLOAD_CSP,
    });
    return new Response(Readable.toWeb(download.body) as ReadableStream, { headers });
  });

  api.post('/folders/:folder/actions', async (c) => {
    const request = await readJson(c, ActionRequest);
    return c.json(await applyAction(c.get('session').imap, folderParam(c), request));
  });

  api.get('/threads/:threadId', async (c) => {
    const threadId = c.req.param('threadId') ?? '';
    if (!/^[A-Za-z0-9_-]{1,255}$/.test(threadId)) throw new GatewayError('invalid_request', 'threadId must be an RFC 8474 object id.', { field: 'threadId' });
    const folder = c.req.query('folder') || 'INBOX';
    return c.json(await readThread(c.get('session').imap, threadId, folder));
  });
}
