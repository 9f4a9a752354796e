/**
 * ENVELOPE, BODY and BODYSTRUCTURE in IMAP wire syntax (RFC 9051 §7.5.2 and §9, compatible with RFC 3501).
 * The result is a JavaScript string meant to be written as UTF-8: literal lengths count UTF-8 bytes.
 */
import { imapString as wireString } from '../imap/protocol/writer.ts';
import { emptyEnvelope } from './envelope.ts';
import { isMessageType } from './structure.ts';
import type { ContentDisposition, EnvelopeAddress, ImapEnvelope, MimePart } from './types.ts';

/**
 * IMAP string, through the protocol writer's rules. Serialised once at delivery for every client, so 8-bit
 * header text stays in quoted strings (as most servers send it); NUL cannot appear even in a literal
 * (RFC 9051 §4.3) and is dropped.
 */
export function imapString(value: string): string {
  return wireString(value.includes('\0') ? value.replace(/\0/g, '') : value, true);
}

/** nstring: NIL for null. */
export function imapNString(value: string | null | undefined): string {
  return value === null || value === undefined ? 'NIL' : imapString(value);
}

export function envelopeToImap(env: ImapEnvelope): string {
  return (
    '(' +
    [
      imapNString(env.date),
      imapNString(env.subject),
      addressList(env.from),
      addressList(env.sender),
      addressList(env.replyTo),
      addressList(env.to),
      addressList(env.cc),
      addressList(env.bcc),
      imapNString(env.inReplyTo),
      imapNString(env.messageId),
    ].join(' ') +
    ')'
  );
}

/** "(" 1*address ")" / nil — addresses follow each other without separators. */
function addressList(list: readonly EnvelopeAddress[]): string {
  if (list.length === 0) return 'NIL';
  const items = list.map(
    (a) => `(${imapNString(a.name)} ${imapNString(a.adl)} ${imapNString(a.mailbox)} ${imapNString(a.host)})`,
  );
  return `(${items.join('')})`;
}

/**
 * BODY (extended = false) or BODYSTRUCTURE (extended = true) of a message, given its root part. For a single-part
 * message this is the root part's own structure.
 */
export function bodyStructureToImap(root: MimePart, extended: boolean): string {
  return partStructure(root, extended);
}

function partStructure(part: MimePart, extended: boolean): string {
  return part.type === 'multipart' ? multipartStructure(part, extended) : singleStructure(part, extended);
}

/** body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart] */
function multipartStructure(part: MimePart, extended: boolean): string {
  const children =
    part.children.length > 0 ? part.children.map((c) => partStructure(c, extended)).join('') : EMPTY_TEXT_BODY;
  let out = `(${children} ${imapString(part.subtype.toUpperCase())}`;
  if (extended) {
    // body-ext-mpart = body-fld-param [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc]]]
    out += ` ${paramList(part.params)} ${dispositionField(part.disposition)} ${languageField(part.language)}`;
    out += ` ${imapNString(part.location)}`;
  }
  return `${out})`;
}

/**
 * body-type-basic / body-type-text / body-type-msg, then for BODYSTRUCTURE
 * body-ext-1part = body-fld-md5 [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc]]]
 */
function singleStructure(part: MimePart, extended: boolean): string {
  const fields = [
    imapString(part.type.toUpperCase()),
    imapString(part.subtype.toUpperCase()),
    paramList(withDefaultCharset(part)),
    imapNString(part.id),
    imapNString(part.description),
    imapString(part.encoding),
    String(Math.max(0, part.bodyEnd - part.bodyStart)),
  ];
  if (isMessageType(part)) {
    const inner = part.children[0];
    fields.push(envelopeToImap(part.envelope ?? emptyEnvelope()));
    fields.push(inner ? partStructure(inner, extended) : EMPTY_TEXT_BODY);
    fields.push(String(part.lines));
  } else if (part.type === 'text') {
    fields.push(String(part.lines));
  }
  if (extended) {
    fields.push(imapNString(part.md5), dispositionField(part.disposition), languageField(part.language));
    fields.push(imapNString(part.location));
  }
  return `(${fields.join(' ')})`;
}

/** Stand-in body where the grammar requires one and the message has none (see structure.ts synthesizeChild). */
const EMPTY_TEXT_BODY = '("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 0 0)';

/** RFC 2045 §5.2: text without a charset parameter is US-ASCII; clients are told so explicitly. */
function withDefaultCharset(part: MimePart): Record<string, string> {
  if (part.type !== 'text' || 'charset' in part.params) return part.params;
  return { charset: 'US-ASCII', ...part.params };
}

/**
 * body-fld-param = "(" string SP string *(SP string SP string) ")" / nil. Names are upper-cased as in the RFC's
 * examples. Values were decoded at parse time; a non-ASCII value is sent RFC 2231-encoded (name*=utf-8''…), the
 * form every client already decodes, rather than as 8-bit text a pre-UTF8 client would misread.
 */
function paramList(params: Record<string, string>): string {
  const items: string[] = [];
  for (const [name, value] of Object.entries(params)) {
    if (/^[\x20-\x7e]*$/.test(value)) {
      items.push(imapString(name.toUpperCase()), imapString(value));
    } else {
      items.push(imapString(`${name.toUpperCase()}*`), imapString(`utf-8''${rfc2231Encode(value)}`));
    }
  }
  return items.length > 0 ? `(${items.join(' ')})` : 'NIL';
}

/** RFC 2231 §4 value-chars: attribute-chars stay, everything else is %XX of the UTF-8 bytes. */
function rfc2231Encode(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9!#$&+\-.^_`|~]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** body-fld-dsp = "(" string SP body-fld-param ")" / nil */
function dispositionField(disposition: ContentDisposition | null): string {
  if (!disposition) return 'NIL';
  return `(${imapString(disposition.type.toUpperCase())} ${paramList(disposition.params)})`;
}

/** body-fld-lang = nstring / "(" string *(SP string) ")" */
function languageField(language: string[] | null): string {
  if (!language || language.length === 0) return 'NIL';
  return `(${language.map(imapString).join(' ')})`;
}
