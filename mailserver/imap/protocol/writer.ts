/**
 * Serialising values into IMAP responses. Every function here produces syntax a client parses back into
 * exactly the value given: strings that cannot be quoted become literals, never a broken or injected line.
 *
 * Text results are JavaScript strings meant to be written as UTF-8; literal sizes count UTF-8 bytes.
 */
import { allIn, ASTRING_CHAR } from './chars.ts';
import { formatImapDateTime } from './dates.ts';
import { encodeMutf7 } from './mutf7.ts';
import type { SectionSpec } from './types.ts';

/** Longest string sent quoted; longer ones go as literals, which clients handle without line limits. */
export const MAX_QUOTED_BYTES = 1000;

const NEEDS_LITERAL = /[\r\n\0]/;
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * `"..."` with `\` and `"` escaped. CR, LF and NUL cannot be quoted; they are dropped here so a careless
 * caller can never split a response line. Use imapString/astring/nstring when the value is not known to be safe.
 */
export function quoted(s: string): string {
  return `"${s.replace(/[\r\n\0]/g, '').replace(/[\\"]/g, '\\$&')}"`;
}

/** Whether `s` can be sent as a quoted string (no CR/LF/NUL, at most 1000 bytes, 8-bit only with UTF-8). */
export function canQuote(s: string, utf8 = false): boolean {
  if (NEEDS_LITERAL.test(s)) return false;
  if (NON_ASCII.test(s)) return utf8 && Buffer.byteLength(s, 'utf8') <= MAX_QUOTED_BYTES;
  return s.length <= MAX_QUOTED_BYTES;
}

/** `{n}\r\n` followed by the data. A string is measured in UTF-8 bytes. */
export function literal(data: string): string;
export function literal(data: Buffer): Buffer;
export function literal(data: string | Buffer): string | Buffer {
  if (typeof data === 'string') return `{${Buffer.byteLength(data, 'utf8')}}\r\n${data}`;
  return Buffer.concat([Buffer.from(`{${data.length}}\r\n`, 'latin1'), data]);
}

/** `~{n}\r\n` followed by the data (RFC 3516 literal8, for BINARY results that may contain NUL). */
export function literal8(data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`~{${data.length}}\r\n`, 'latin1'), data]);
}

/** An IMAP `string`: quoted when safe, else a literal. */
export function imapString(s: string, utf8 = false): string {
  return canQuote(s, utf8) ? quoted(s) : literal(s);
}

/** An `astring`: a bare atom when possible (never the word NIL), else a string. */
export function astring(s: string, utf8 = false): string {
  if (allIn(ASTRING_CHAR, s) && s.toUpperCase() !== 'NIL') return s;
  return imapString(s, utf8);
}

/** An `nstring`: NIL for null, else a string. */
export function nstring(s: string | null, utf8 = false): string {
  return s === null ? 'NIL' : imapString(s, utf8);
}

/** A mailbox name: modified UTF-7 unless the client accepts UTF-8. */
export function mailboxName(name: string, utf8 = false): string {
  return astring(utf8 ? name : encodeMutf7(name), utf8);
}

/** A parenthesised list of already serialised items. */
export function list(items: ReadonlyArray<string | number>): string {
  return `(${items.join(' ')})`;
}

/** A flag list; flags are atoms (or `\` atoms) and are written as they are. */
export function flagList(flags: Iterable<string>): string {
  return `(${Array.from(flags).join(' ')})`;
}

/**
 * Numbers as a compact sequence set: [1,2,3,4,5,7,9,10,11,12] → "1:5,7,9:12". Unsorted input is sorted and
 * duplicates are dropped. Returns "" for no numbers (callers decide whether to send anything).
 */
export function compressUids(numbers: readonly number[]): string {
  let sorted = numbers;
  for (let i = 1; i < numbers.length; i++) {
    if ((numbers[i] ?? 0) < (numbers[i - 1] ?? 0)) {
      sorted = [...numbers].sort((a, b) => a - b);
      break;
    }
  }
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const start = sorted[i] ?? 0;
    let end = start;
    i++;
    while (i < sorted.length && ((sorted[i] ?? 0) === end + 1 || (sorted[i] ?? 0) === end)) {
      end = sorted[i] ?? end;
      i++;
    }
    parts.push(start === end ? String(start) : `${start}:${end}`);
  }
  return parts.join(',');
}

/** A quoted date-time, e.g. `"17-Jul-1996 09:44:25 +0000"`. */
export function dateTime(ms: number, offsetMinutes = 0): string {
  return `"${formatImapDateTime(ms, offsetMinutes)}"`;
}

/** The inside of `BODY[...]` for a section: "", "1.2", "HEADER.FIELDS (FROM TO)", "2.MIME". */
export function sectionName(section: SectionSpec): string {
  const part = section.part.join('.');
  const kind = section.kind === 'ALL' ? '' : section.kind;
  const fields = section.fields !== undefined && section.kind.startsWith('HEADER.FIELDS')
    ? ` (${section.fields.map((f) => astring(f)).join(' ')})`
    : '';
  return `${part}${part && kind ? '.' : ''}${kind}${fields}`;
}
