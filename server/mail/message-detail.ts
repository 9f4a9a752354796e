import type { FetchMessageObject, ImapFlow } from 'imapflow';
import { messageIds } from '../../mailserver/mime/header-values.ts';
import type { Attachment, MessageDetail } from '../../shared/messages.ts';
import { GatewayError } from '../errors.ts';
import { headerValue, parseHeaderBlock, type HeaderLine } from './header-block.ts';
import type { PooledImapConnection } from './imap-connection.ts';
import { decodeLeafText } from './part-text.ts';
import type { SanitizePool } from './sanitize-pool.ts';
import { bodyParts, type LeafPart } from './structure.ts';
import { SUMMARY_QUERY, toAddresses, toSummary } from './summaries.ts';
import { cidUrl, partUrl, rawUrl } from './urls.ts';

/** Bodies beyond these sizes are shown cut (the raw source and downloads still have everything). */
export const MAX_TEXT_BYTES = 4 * 1024 * 1024;
export const MAX_HTML_BYTES = 16 * 1024 * 1024;

export async function fetchMessage(client: ImapFlow, uid: number, query: Parameters<ImapFlow['fetchOne']>[1]): Promise<FetchMessageObject> {
  const message = await client.fetchOne(String(uid), query, { uid: true });
  if (!message) throw new GatewayError('not_found', 'That message is no longer in this folder.');
  return message;
}

async function fetchBody(client: ImapFlow, uid: number, leaf: LeafPart | null, maxBytes: number): Promise<{ text: string | null; cut: boolean }> {
  if (!leaf) return { text: null, cut: false };
  const message = await fetchMessage(client, uid, { uid: true, bodyParts: [{ key: leaf.part, start: 0, maxLength: maxBytes }] });
  const raw = [...(message.bodyParts?.values() ?? [])][0] ?? Buffer.alloc(0);
  return { text: decodeLeafText(raw, leaf), cut: leaf.size > maxBytes };
}

function toAttachment(folder: string, uid: number, leaf: LeafPart): Attachment {
  return {
    part: leaf.part,
    filename: leaf.filename ?? defaultName(leaf),
    contentType: leaf.type,
    size: leaf.size,
    contentId: leaf.contentId,
    inline: leaf.disposition !== 'attachment' && leaf.contentId !== null,
    url: partUrl(folder, uid, leaf.part),
  };
}

/** A name for a part sent without one, so the download is still a sensible file. */
function defaultName(leaf: LeafPart): string {
  const extension = leaf.type === 'message/rfc822' ? 'eml' : (leaf.type.split('/')[1] ?? 'bin').replace(/[^a-z0-9]/g, '').slice(0, 8) || 'bin';
  return `part-${leaf.part}.${extension}`;
}

function references(headers: HeaderLine[]): string[] {
  return messageIds(headerValue(headers, 'References'), 100);
}

export async function readMessage(imap: PooledImapConnection, sanitizer: SanitizePool, folder: string, uid: number): Promise<MessageDetail> {
  const fetched = await imap.inMailbox(folder, async (client) => {
    const message = await fetchMessage(client, uid, { ...SUMMARY_QUERY, headers: true });
    const headers = parseHeaderBlock(message.headers ?? Buffer.alloc(0));
    const parts = bodyParts(message.bodyStructure);
    const text = await fetchBody(client, uid, parts.text, MAX_TEXT_BYTES);
    const html = await fetchBody(client, uid, parts.html, MAX_HTML_BYTES);
    return { message, headers, parts, text, html };
  });
  // Sanitizing runs after the folder lock is released: it may take a while and needs no IMAP.
  const { message, headers, parts, text, html } = fetched;
  const cidUrls = Object.fromEntries(parts.attachments.filter((a) => a.contentId).map((a) => [a.contentId!.toLowerCase(), cidUrl(folder, uid, a.contentId!)]));
  const safeHtml = html.text === null ? null : await sanitizer.sanitize(html.text, cidUrls);
  const envelope = message.envelope ?? {};
  return {
    ...toSummary(folder, message, (text.text ?? '').slice(0, 200)),
    bcc: toAddresses(envelope.bcc),
    replyTo: toAddresses(envelope.replyTo),
    inReplyTo: envelope.inReplyTo ?? null,
    references: references(headers),
    text: text.text,
    html: safeHtml,
    truncated: text.cut || html.cut,
    attachments: parts.attachments.map((leaf) => toAttachment(folder, uid, leaf)),
    headers,
    rawUrl: rawUrl(folder, uid),
  };
}
