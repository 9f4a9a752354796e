/**
 * Decoded text of text/* parts, for the full-text index and the preview. Work is bounded by the number of
 * characters wanted: only a prefix of the encoded body is decoded, so a huge part costs no more than the bound.
 */
import libmime from 'libmime';
import charsets from 'libmime/lib/charset.js';
import { htmlToText } from './html-text.ts';
import { decodeTransfer } from './transfer.ts';
import type { MimePart } from './types.ts';

/** Encoded bytes per wanted character: base64 is 4/3, quoted-printable up to 3, UTF-8 up to 4. */
const BYTES_PER_CHAR = 4;
/** HTML carries markup as well; allow more source per character of visible text. */
const HTML_BYTES_PER_CHAR = 8;

export function isTextBody(part: MimePart): boolean {
  return part.type === 'text' && (part.subtype === 'plain' || part.subtype === 'html');
}

/** At most maxChars characters of the part's decoded text (HTML converted to text). */
export function partText(raw: Buffer, part: MimePart, maxChars: number): string {
  if (maxChars <= 0) return '';
  const html = part.subtype === 'html';
  const maxBytes = maxChars * (html ? HTML_BYTES_PER_CHAR : BYTES_PER_CHAR) + 4096;
  const end = Math.min(part.bodyEnd, part.bodyStart + maxBytes);
  const encoded = raw.subarray(part.bodyStart, end);
  // An unknown transfer encoding still yields searchable text more often than not.
  const bytes = decodeTransfer(encoded, part.encoding) ?? encoded;
  let text = decodeCharset(bytes, part.params.charset);
  if (html) return htmlToText(text, maxChars);
  if (part.params.format?.toLowerCase() === 'flowed') {
    text = libmime.decodeFlowed(text, part.params.delsp?.toLowerCase() === 'yes');
  }
  return text.replace(/\r\n?/g, '\n').slice(0, maxChars);
}

/**
 * Bytes to text in the declared charset. Undeclared or US-ASCII text that is not valid UTF-8 is read as
 * windows-1252, the most common undeclared 8-bit charset; an unknown charset falls back to UTF-8 (libmime).
 */
export function decodeCharset(bytes: Buffer, charset: string | undefined): string {
  const name = (charset ?? '').trim().toLowerCase();
  if (name === '' || name === 'us-ascii' || name === 'ascii' || name === 'utf-8' || name === 'utf8') {
    const text = bytes.toString('utf8');
    if (text.includes('\uFFFD') && !name.startsWith('utf')) return decodeWestern(bytes);
    return text;
  }
  if (WESTERN.has(name)) return decodeWestern(bytes);
  return safeDecode(bytes, name);
}

/** Labels decoded as windows-1252, as browsers do for ISO-8859-1 (senders use the two interchangeably). */
const WESTERN = new Set(['iso-8859-1', 'iso8859-1', 'iso_8859-1', 'latin1', 'l1', 'windows-1252', 'cp1252']);

/**
 * windows-1252 equals latin1 except in 0x80–0x9F; Node's native latin1 decoder is some thirty times faster than
 * the table decoder, so it is used whenever that range is absent.
 */
function decodeWestern(bytes: Buffer): string {
  const text = bytes.toString('latin1');
  return /[\x80-\x9f]/.test(text) ? safeDecode(bytes, 'windows-1252') : text;
}

function safeDecode(bytes: Buffer, charset: string): string {
  try {
    return charsets.decode(bytes, charset);
  } catch {
    return bytes.toString('utf8');
  }
}
