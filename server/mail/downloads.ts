import { Readable } from 'node:stream';
import { GatewayError } from '../errors.ts';
import type { PooledImapConnection } from './imap-connection.ts';
import { fetchMessage } from './message-detail.ts';
import { bodyParts } from './structure.ts';

export interface PartDownload {
  filename: string;
  contentType: string;
  body: Readable;
}

/** Image types a browser renders without running anything; everything else is only ever a download. */
const INLINE_SAFE = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/bmp', 'image/avif']);

export function isInlineSafe(contentType: string): boolean {
  return INLINE_SAFE.has(contentType.toLowerCase());
}

/** Content-Disposition with an ASCII fallback and the exact name in RFC 6266 / RFC 8187 form. */
export function contentDisposition(kind: 'inline' | 'attachment', filename: string): string {
  const clean = filename.replace(/[\u0000-\u001f\u007f"\\/]/g, '_').slice(0, 200) || 'download';
  const ascii = clean.replace(/[^\x20-\x7e]/g, '_');
  const encoded = encodeURIComponent(clean).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/**
 * Stream one part, decoded, while holding the folder lock only as long as the stream runs; the part is
 * never held whole in memory, so a 50 MB attachment costs a buffer, not 50 MB.
 */
export async function downloadPart(imap: PooledImapConnection, folder: string, uid: number, part: string | undefined): Promise<PartDownload> {
  const client = await imap.get();
  const lock = await client.getMailboxLock(folder);
  let released = false;
  const release = () => {
    if (!released) lock.release();
    released = true;
  };
  try {
    const download = await client.download(String(uid), part, { uid: true, decodeText: false });
    if (!download || !('content' in download) || !download.content) throw new GatewayError('not_found', 'That part of the message does not exist.');
    download.content.once('close', release);
    download.content.once('end', release);
    download.content.once('error', release);
    return {
      filename: download.meta?.filename ?? (part ? `part-${part}` : 'message.eml'),
      contentType: (download.meta?.contentType ?? 'application/octet-stream').toLowerCase(),
      body: download.content,
    };
  } catch (error) {
    release();
    throw error;
  }
}

/** The part number of the inline part with this Content-ID. */
export async function partForContentId(imap: PooledImapConnection, folder: string, uid: number, contentId: string): Promise<string> {
  const wanted = contentId.replace(/^<|>$/g, '').toLowerCase();
  return imap.inMailbox(folder, async (client) => {
    const message = await fetchMessage(client, uid, { uid: true, bodyStructure: true });
    const leaf = bodyParts(message.bodyStructure).attachments.find((a) => a.contentId?.toLowerCase() === wanted);
    if (!leaf) throw new GatewayError('not_found', 'The message has no inline part with that Content-ID.');
    return leaf.part;
  });
}
