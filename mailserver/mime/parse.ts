/**
 * parseMessage: everything the store keeps about a message, computed once at delivery from one scan of the
 * raw bytes (structure.ts) plus bounded decoding of the few header fields and text parts that need it.
 * It never throws: malformed input yields a best-effort tree, and an unexpected library failure yields the
 * whole message as one text/plain part rather than a failed delivery.
 */
import { displayKey, newAddressBudget, sortKey, toDisplayText, type AddressBudget } from './addresses.ts';
import { baseSubject } from './base-subject.ts';
import { buildEnvelope, emptyEnvelope } from './envelope.ts';
import { fieldDisplayName, fieldValue, firstField, type HeaderField } from './header-fields.ts';
import { firstMessageId, messageIds, parseDate } from './header-values.ts';
import { LIMITS } from './limits.ts';
import { decodeWordsSafe } from './part-headers.ts';
import { isMessageType, scanMime, type ScanResult } from './structure.ts';
import { isTextBody, partText } from './text.ts';
import type { MimePart, ParsedMessage } from './types.ts';

/** Async for the caller's convenience (delivery pipelines are async); the work itself is synchronous and bounded. */
export async function parseMessage(raw: Buffer): Promise<ParsedMessage> {
  return parseMessageSync(raw);
}

export function parseMessageSync(raw: Buffer): ParsedMessage {
  const bytes = Buffer.isBuffer(raw) ? raw : Buffer.from(raw as Uint8Array);
  try {
    return parseScanned(bytes, scanMime(bytes));
  } catch {
    return fallbackMessage(bytes);
  }
}

function parseScanned(raw: Buffer, scan: ScanResult): ParsedMessage {
  const rootFields = scan.fields.get(scan.root) ?? [];
  const budget = newAddressBudget();
  const { envelope, addresses } = buildEnvelope(raw, rootFields, budget);
  const parts = partsInOrder(scan.root);
  attachEmbeddedEnvelopes(raw, scan, parts, budget);
  const subject = decodeWordsSafe(envelope.subject ?? '');
  const text = collectText(raw, scan, parts);
  const header = (name: string): string | null => {
    const f = firstField(rootFields, name);
    return f ? fieldValue(raw, f, LIMITS.maxAddressValue) : null;
  };
  return {
    size: raw.length,
    root: scan.root,
    envelope,
    messageId: firstMessageId(envelope.messageId),
    inReplyTo: messageIds(header('in-reply-to'), LIMITS.maxReferences),
    references: messageIds(header('references'), LIMITS.maxReferences),
    subject,
    baseSubject: baseSubject(subject),
    sentDate: parseDate(envelope.date),
    from: toDisplayText(addresses.from),
    to: toDisplayText(addresses.to),
    cc: toDisplayText(addresses.cc),
    bcc: toDisplayText(addresses.bcc),
    sortFrom: sortKey(addresses.from),
    sortTo: sortKey(addresses.to),
    sortCc: sortKey(addresses.cc),
    displayFrom: displayKey(addresses.from),
    displayTo: displayKey(addresses.to),
    preview: text.preview,
    searchText: text.searchText,
    headerText: headerText(raw, rootFields),
    hasAttachment: parts.some((p) => isAttachment(p, scan.synthetic)),
  };
}

/** Every part, depth first in message order. Iterative, although depth is bounded anyway. */
function partsInOrder(root: MimePart): MimePart[] {
  const out: MimePart[] = [];
  const pending: MimePart[] = [root];
  while (pending.length > 0) {
    const part = pending.pop() as MimePart;
    out.push(part);
    for (let i = part.children.length - 1; i >= 0; i--) pending.push(part.children[i] as MimePart);
  }
  return out;
}

function attachEmbeddedEnvelopes(raw: Buffer, scan: ScanResult, parts: MimePart[], budget: AddressBudget): void {
  for (const part of parts) {
    if (!isMessageType(part)) continue;
    const inner = part.children[0];
    part.envelope =
      inner && !scan.synthetic.has(inner)
        ? buildEnvelope(raw, scan.fields.get(inner) ?? [], budget).envelope
        : emptyEnvelope();
  }
}

interface CollectedText {
  searchText: string;
  preview: string;
}

/**
 * Text of the text/plain and text/html parts, in message order, up to LIMITS.maxSearchText characters. Parts made
 * up by the scanner are skipped: their bytes are undecodable or raw MIME, not text.
 */
function collectText(raw: Buffer, scan: ScanResult, parts: MimePart[]): CollectedText {
  const textParts = parts.filter((p) => isTextBody(p) && !scan.synthetic.has(p));
  const decoded = new Map<MimePart, string>();
  const pieces: string[] = [];
  let remaining: number = LIMITS.maxSearchText;
  for (const part of textParts) {
    if (remaining <= 0) break;
    const text = partText(raw, part, remaining);
    decoded.set(part, text);
    if (text === '') continue;
    pieces.push(text);
    remaining -= text.length + 1;
  }
  const searchText = pieces.join('\n').slice(0, LIMITS.maxSearchText);
  return { searchText, preview: previewOf(raw, textParts, decoded) };
}

/** RFC 8970 preview: the first inline text/plain part, else the first inline text/html part, as one short line. */
function previewOf(raw: Buffer, textParts: MimePart[], decoded: Map<MimePart, string>): string {
  const inline = textParts.filter((p) => p.disposition?.type !== 'attachment');
  const chosen = inline.find((p) => p.subtype === 'plain') ?? inline.find((p) => p.subtype === 'html');
  if (!chosen) return '';
  const text = decoded.get(chosen) ?? partText(raw, chosen, LIMITS.previewSourceChars);
  // Collapse whitespace in growing windows: usually the first kilobyte is plenty, but a text that starts with
  // pages of blank lines still gets a preview.
  for (let window = 1024; ; window *= 8) {
    const line = text.slice(0, window).replace(/\s+/g, ' ').trim();
    if (line.length >= LIMITS.maxPreview || window >= Math.min(text.length, LIMITS.previewSourceChars)) {
      return cutChars(line, LIMITS.maxPreview);
    }
  }
}

/** First max characters, never splitting a surrogate pair. */
function cutChars(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
  return text.slice(0, end).trimEnd();
}

/** "Name: decoded value" lines of the message header, bounded, for SEARCH HEADER. */
function headerText(raw: Buffer, fields: readonly HeaderField[]): string {
  const lines: string[] = [];
  let length = 0;
  for (const field of fields) {
    if (field.name === '') continue;
    const room = LIMITS.maxHeaderText - length;
    if (room <= 0) break;
    const line = `${fieldDisplayName(raw, field)}: ${decodeWordsSafe(fieldValue(raw, field, room))}`;
    lines.push(line);
    length += line.length + 1;
  }
  return lines.join('\n').slice(0, LIMITS.maxHeaderText);
}

/**
 * Whether a part is what users call an attachment: marked as one, or a named non-inline file, or a forwarded
 * message. Inline images with a name do not count.
 */
function isAttachment(part: MimePart, synthetic: ReadonlySet<MimePart>): boolean {
  if (part.type === 'multipart' || synthetic.has(part)) return false;
  const disposition = part.disposition?.type;
  if (disposition === 'attachment') return true;
  if (disposition === 'inline') return false;
  if (isMessageType(part)) return true;
  return Boolean(part.disposition?.params.filename ?? part.params.name);
}

/** Used only if a library throws on input the guards did not foresee: the message is kept, as one opaque part. */
function fallbackMessage(raw: Buffer): ParsedMessage {
  const root: MimePart = {
    path: '1',
    type: 'text',
    subtype: 'plain',
    params: {},
    id: null,
    description: null,
    encoding: '7BIT',
    disposition: null,
    language: null,
    location: null,
    md5: null,
    headerStart: 0,
    bodyStart: 0,
    bodyEnd: raw.length,
    lines: 0,
    children: [],
  };
  return {
    size: raw.length,
    root,
    envelope: emptyEnvelope(),
    messageId: null,
    inReplyTo: [],
    references: [],
    subject: '',
    baseSubject: '',
    sentDate: null,
    from: '',
    to: '',
    cc: '',
    bcc: '',
    sortFrom: '',
    sortTo: '',
    sortCc: '',
    displayFrom: '',
    displayTo: '',
    preview: '',
    searchText: '',
    headerText: '',
    hasAttachment: false,
  };
}
