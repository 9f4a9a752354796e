/**
 * The MIME header fields of one part (RFC 2045, 2183, 3066, 2557, 1864) turned into MimePart fields.
 * Parameter syntax, RFC 2231 continuations and encoded-words are libmime's job; this module only picks the
 * fields, applies the RFC 2045 defaults and guards against hostile sizes.
 */
import libmime from 'libmime';
import { LIMITS } from './limits.ts';
import { fieldValue, type HeaderField } from './header-fields.ts';
import type { ContentDisposition } from './types.ts';

/** MIME header bytes still to be parsed in full for this message (see LIMITS.mimeHeaderBudget). */
export interface MimeHeaderBudget {
  remaining: number;
}

export interface PartHeaderInfo {
  type: string;
  subtype: string;
  params: Record<string, string>;
  /** Raw boundary parameter (not encoded-word decoded), or null. */
  boundary: string | null;
  id: string | null;
  description: string | null;
  encoding: string;
  disposition: ContentDisposition | null;
  language: string[] | null;
  location: string | null;
  md5: string | null;
}

/** RFC 2045 token characters: anything printable except tspecials and space. */
const TOKEN = /^[!#$%&'*+\-.^_`{|}~0-9A-Za-z]+$/;

/**
 * Reads the MIME fields of a part. defaultType is "text/plain" normally and "message/rfc822" inside
 * multipart/digest (RFC 2046 §5.1.5).
 */
export function describePart(
  raw: Buffer,
  fields: readonly HeaderField[],
  defaultType: string,
  budget: MimeHeaderBudget,
): PartHeaderInfo {
  const mime = mimeFields(fields);
  const value = (name: string): string | null => {
    const f = mime.get(name);
    if (!f) return null;
    const cap = Math.max(LIMITS.minStructuredValue, Math.min(LIMITS.maxStructuredValue, budget.remaining));
    budget.remaining -= Math.min(cap, f.end - f.valueStart);
    return fieldValue(raw, f, cap);
  };
  const contentType = parseContentType(value('content-type'), defaultType);
  return {
    ...contentType,
    id: nonEmpty(value('content-id')),
    description: nonEmpty(value('content-description')),
    encoding: parseEncoding(value('content-transfer-encoding')),
    disposition: parseDisposition(value('content-disposition')),
    language: parseLanguage(value('content-language')),
    location: parseLocation(value('content-location')),
    md5: nonEmpty(value('content-md5')),
  };
}

/** The first Content-* field of each name, in one pass (a message header has dozens of other fields). */
function mimeFields(fields: readonly HeaderField[]): Map<string, HeaderField> {
  const found = new Map<string, HeaderField>();
  for (const f of fields) {
    if (f.name.startsWith('content-') && !found.has(f.name)) found.set(f.name, f);
  }
  return found;
}

type ContentTypeInfo = Pick<PartHeaderInfo, 'type' | 'subtype' | 'params' | 'boundary'>;

function parseContentType(value: string | null, defaultType: string): ContentTypeInfo {
  const fallback = (): ContentTypeInfo => {
    const [type = 'text', subtype = 'plain'] = defaultType.split('/');
    // RFC 2045 §5.2: a missing or unparseable Content-Type means text/plain; charset=us-ascii. The charset is
    // not invented here: params list what the message says, the serialiser adds the default for text/*.
    return { type, subtype, params: {}, boundary: null };
  };
  if (value === null || value === '') return fallback();
  const parsed = safeParseHeaderValue(value);
  if (!parsed) return fallback();
  const slash = parsed.value.indexOf('/');
  const type = parsed.value.slice(0, slash).trim().toLowerCase();
  const subtype = parsed.value.slice(slash + 1).trim().toLowerCase();
  if (slash === -1 || !TOKEN.test(type) || !TOKEN.test(subtype)) return fallback();
  const boundary = parsed.rawParams.boundary;
  return { type, subtype, params: parsed.params, boundary: boundary ? boundary : null };
}

function parseDisposition(value: string | null): ContentDisposition | null {
  if (!value) return null;
  const parsed = safeParseHeaderValue(value);
  if (!parsed) return null;
  const type = parsed.value.trim().toLowerCase();
  if (!type) return null;
  return { type, params: parsed.params };
}

function parseEncoding(value: string | null): string {
  if (!value) return '7BIT';
  const cleaned = stripComments(value).trim().toUpperCase();
  return cleaned || '7BIT';
}

function parseLanguage(value: string | null): string[] | null {
  if (!value) return null;
  const tags = stripComments(value)
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  return tags.length > 0 ? tags : null;
}

/** RFC 2557 §4.4.1: a long URL may be folded; the whitespace is not part of it. */
function parseLocation(value: string | null): string | null {
  if (!value) return null;
  const url = value.replace(/^"|"$/g, '').replace(/\s+/g, '');
  return url || null;
}

function nonEmpty(value: string | null): string | null {
  return value ? value : null;
}

interface ParsedValue {
  value: string;
  /** Parameters as libmime returns them (RFC 2231 joined and decoded, encoded-words untouched). */
  rawParams: Record<string, string>;
  /** Parameters with encoded-words decoded as well, for MimePart.params. */
  params: Record<string, string>;
}

/** libmime.parseHeaderValue plus encoded-word decoding of the values it did not already decode. */
function safeParseHeaderValue(value: string): ParsedValue | null {
  let parsed: libmime.ParsedHeaderValue;
  try {
    parsed = libmime.parseHeaderValue(value, { stripComments: true });
  } catch {
    return null;
  }
  const alreadyDecoded = new Set(parsed.decodedParams ?? []);
  const rawParams: Record<string, string> = {};
  const params: Record<string, string> = {};
  for (const [key, val] of Object.entries(parsed.params)) {
    // A parameter named __proto__ would otherwise replace the object's prototype.
    if (key === '__proto__' || typeof val !== 'string') continue;
    rawParams[key] = val;
    params[key] = alreadyDecoded.has(key) || !val.includes('=?') ? val : decodeWordsSafe(val);
  }
  return { value: parsed.value ?? '', rawParams, params };
}

/** libmime.decodeWords, but an exotic charset or malformed word never throws. */
export function decodeWordsSafe(text: string): string {
  if (!text.includes('=?')) return text;
  try {
    return libmime.decodeWords(text);
  } catch {
    return text;
  }
}

/** Removes RFC 5322 comments (nesting allowed); an unclosed comment runs to the end. */
function stripComments(value: string): string {
  if (!value.includes('(')) return value;
  let out = '';
  let depth = 0;
  for (const ch of value) {
    if (ch === '(') depth++;
    else if (ch === ')' && depth > 0) depth--;
    else if (depth === 0) out += ch;
  }
  return out;
}
