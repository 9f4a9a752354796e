import type { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ComposeRequest, UploadCreateRequest, UPLOAD_CHUNK_MAX_BYTES } from '../../shared/compose.ts';
import type { Logger } from '../../mailserver/log/logger.ts';
import { GatewayError } from '../errors.ts';
import type { GatewayEnv } from '../http/env.ts';
import { readJson, uidParam } from '../http/validate.ts';
import { folderWithRole } from '../mail/folders.ts';
import { saveDraft, sendMessage } from '../mail/outbox.ts';
import type { SmtpEndpoint } from '../mail/submit.ts';

/** Compose bodies carry text and HTML, not files (those come as uploads), so this bound is generous. */
const COMPOSE_BODY_LIMIT = 32 * 1024 * 1024;

const tooLarge = () => {
  throw new GatewayError('too_large', 'The request is larger than allowed.');
};

export function composeRoutes(api: Hono<GatewayEnv>, smtp: SmtpEndpoint, log: Logger): void {
  api.post('/uploads', async (c) => {
    const request = await readJson(c, UploadCreateRequest);
    return c.json(c.get('session').uploads.create(request), 201);
  });

  // Chunks are refused from their declared length before a byte is read, and the reader stops at the bound
  // even when the length was a lie.
  api.put('/uploads/:id', bodyLimit({ maxSize: UPLOAD_CHUNK_MAX_BYTES, onError: tooLarge }), async (c) => {
    const uploads = c.get('session').uploads;
    const id = c.req.param('id');
    const offset = Number(c.req.query('offset') ?? 'NaN');
    if (!Number.isSafeInteger(offset) || offset < 0) throw new GatewayError('invalid_request', 'offset must be the byte position of this chunk.', { field: 'offset' });
    const declared = Number(c.req.header('content-length') ?? '0');
    if (declared > uploads.remaining(id)) throw new GatewayError('too_large', 'The chunk goes past the declared file size or the chunk limit.');
    const chunk = Buffer.from(await c.req.arrayBuffer());
    return c.json(uploads.append(id, offset, chunk));
  });

  api.delete('/uploads/:id', (c) => {
    c.get('session').uploads.delete(c.req.param('id'));
    return c.body(null, 204);
  });

  api.post('/send', bodyLimit({ maxSize: COMPOSE_BODY_LIMIT, onError: tooLarge }), async (c) => {
    const request = await readJson(c, ComposeRequest);
    return c.json(await sendMessage(c.get('session'), request, smtp, log));
  });

  api.post('/drafts', bodyLimit({ maxSize: COMPOSE_BODY_LIMIT, onError: tooLarge }), async (c) => {
    const request = await readJson(c, ComposeRequest);
    return c.json(await saveDraft(c.get('session'), request), 201);
  });

  api.delete('/drafts/:uid', async (c) => {
    const uid = uidParam(c);
    const imap = c.get('session').imap;
    const drafts = await folderWithRole(await imap.get(), 'drafts');
    await imap.inMailbox(drafts, (client) => client.messageDelete(String(uid), { uid: true }));
    return c.body(null, 204);
  });
}
