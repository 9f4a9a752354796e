/**
 * BODY[section] and BINARY[section] contents (RFC 9051 §6.4.5, RFC 3516) cut from the raw message by the byte
 * offsets parseMessage stored. Nothing is re-parsed except the header block of HEADER.FIELDS requests.
 */
import { colonOffset, fieldNameOf, isBlankLine, isContinuationLine } from './header-fields.ts';
import { isMessageType } from './structure.ts';
import { decodeTransfer } from './transfer.ts';
import type { MimePart, SectionSpec } from './types.ts';

const LF = 0x0a;
const CRLF = Buffer.from('\r\n');

/**
 * Resolves IMAP part numbers. Numbers index the children of a multipart; a message/rfc822 part is entered through
 * its embedded message, where the same rules apply again; a message that is not multipart has exactly one part,
 * number 1, its own body. [] is the message itself.
 */
export function partByPath(root: MimePart, part: number[]): MimePart | null {
  let current = root;
  for (const [i, n] of part.entries()) {
    if (!Number.isInteger(n) || n < 1) return null;
    const message = messageOf(current, i === 0);
    if (!message) return null;
    if (message.type === 'multipart') {
      const child = message.children[n - 1];
      if (!child) return null;
      current = child;
    } else {
      if (n !== 1) return null;
      current = message;
    }
  }
  return current;
}

/**
 * The message whose parts the next part number selects: the top-level message, a message/rfc822 part's embedded
 * message, or a multipart part (whose children are numbered directly). Null for a leaf: it has no subparts.
 */
function messageOf(part: MimePart, first: boolean): MimePart | null {
  if (first || part.type === 'multipart') return part;
  if (isMessageType(part)) return part.children[0] ?? null;
  return null;
}

/** The section's bytes, or null when the message has no such section. */
export function extractSection(raw: Buffer, root: MimePart, spec: SectionSpec): Buffer | null {
  if (spec.part.length === 0) return topLevelSection(raw, root, spec);
  const target = partByPath(root, spec.part);
  if (!target) return null;
  switch (spec.kind) {
    case 'ALL':
      // For a multipart part: the bytes between its boundaries; for message/rfc822: the whole embedded message.
      return slice(raw, target.bodyStart, target.bodyEnd);
    case 'MIME':
      return slice(raw, target.headerStart, target.bodyStart);
    default: {
      // HEADER, HEADER.FIELDS[.NOT] and TEXT address the message embedded in a message/rfc822 part.
      const embedded = isMessageType(target) ? target.children[0] : undefined;
      return embedded ? messageSection(raw, embedded, spec) : null;
    }
  }
}

function topLevelSection(raw: Buffer, root: MimePart, spec: SectionSpec): Buffer | null {
  if (spec.kind === 'ALL') return raw;
  if (spec.kind === 'MIME') return null; // MIME needs a part number (RFC 9051 §6.4.5)
  return messageSection(raw, root, spec);
}

/** HEADER / HEADER.FIELDS / HEADER.FIELDS.NOT / TEXT of the message whose root is `message`. */
function messageSection(raw: Buffer, message: MimePart, spec: SectionSpec): Buffer | null {
  switch (spec.kind) {
    case 'HEADER':
      return slice(raw, message.headerStart, message.bodyStart);
    case 'TEXT':
      return slice(raw, message.bodyStart, message.bodyEnd);
    case 'HEADER.FIELDS':
      return headerFields(raw, message.headerStart, message.bodyStart, spec.fields ?? [], true);
    case 'HEADER.FIELDS.NOT':
      return headerFields(raw, message.headerStart, message.bodyStart, spec.fields ?? [], false);
    default:
      return null;
  }
}

/**
 * The header lines (with their folded continuations, byte for byte, in message order) whose field name is
 * (include = true) or is not (include = false) in `names`, then the blank line.
 */
export function headerFields(raw: Buffer, start: number, end: number, names: readonly string[], include: boolean): Buffer {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const chunks: Buffer[] = [];
  let copying = false;
  let pos = start;
  while (pos < end) {
    const nl = raw.indexOf(LF, pos);
    const lineEnd = nl === -1 || nl >= end ? end : nl + 1;
    if (isBlankLine(raw, pos, lineEnd)) break;
    if (!isContinuationLine(raw, pos, lineEnd)) {
      const colon = colonOffset(raw, pos, lineEnd);
      // A line without a colon is not a field; it matches neither list.
      copying = colon !== -1 && wanted.has(fieldNameOf(raw, pos, colon)) === include;
    }
    if (copying) chunks.push(raw.subarray(pos, lineEnd));
    pos = lineEnd;
  }
  // A header block cut off without a final line break still yields whole lines.
  const last = chunks[chunks.length - 1];
  if (last && last[last.length - 1] !== LF) chunks.push(CRLF);
  chunks.push(CRLF);
  return Buffer.concat(chunks);
}

/**
 * BINARY[section]: the part's body with its Content-Transfer-Encoding removed, or null when the encoding is
 * unknown (the caller answers UNKNOWN-CTE).
 */
export function decodePart(raw: Buffer, part: MimePart): Buffer | null {
  return decodeTransfer(slice(raw, part.bodyStart, part.bodyEnd), part.encoding);
}

/** A view of raw; clamped so a stale or corrupt offset can never read outside the message. */
function slice(raw: Buffer, start: number, end: number): Buffer {
  const s = Math.max(0, Math.min(start, raw.length));
  const e = Math.max(s, Math.min(end, raw.length));
  return raw.subarray(s, e);
}
