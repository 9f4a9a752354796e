import { decodeCharset } from '../../mailserver/mime/text.ts';
import { decodeTransfer } from '../../mailserver/mime/transfer.ts';
import { htmlToText } from '../../mailserver/mime/html-text.ts';
import type { LeafPart } from './structure.ts';

/**
 * Bytes of a part as fetched with BODY[part] (still transfer-encoded) to text. Decoding here rather than
 * asking for BINARY[part] keeps one odd part (an unknown encoding) from failing a whole FETCH; libbase64 and
 * libqp are tolerant of the cut-off end of a partial fetch.
 */
export function decodeLeafText(raw: Buffer, leaf: LeafPart): string {
  const bytes = decodeTransfer(raw, leaf.encoding) ?? raw;
  return decodeCharset(bytes, leaf.charset);
}

/** The first words of a body for the message list: plain text, one line, at most `maxChars`. */
export function previewText(raw: Buffer, leaf: LeafPart, maxChars = 200): string {
  let text = decodeLeafText(raw, leaf);
  if (leaf.type === 'text/html') text = htmlToText(text, maxChars * 4);
  // Quoted lines of the mail replied to say nothing new about this one.
  const lines = text.split(/\r?\n/).filter((line) => !line.startsWith('>'));
  return lines.join(' ').replace(/\s+/g, ' ').trim().slice(0, maxChars);
}

/** How many raw bytes to fetch for a preview: base64 needs a third more, HTML spends bytes on markup. */
export function previewFetchBytes(leaf: LeafPart): number {
  const base = leaf.type === 'text/html' ? 4096 : 1024;
  return leaf.encoding === 'base64' ? Math.ceil((base * 4) / 3) : base;
}
