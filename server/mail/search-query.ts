/**
 * The webmail search box: a Gmail-like query string becomes an imapflow SearchObject that the IMAP server
 * evaluates (SEARCH). Nothing is filtered locally, so every operator has to map onto standard IMAP search keys.
 *
 *   from:X  to:X  cc:X  bcc:X  subject:X      X is a word or a "quoted phrase" (\" and \\ escape inside)
 *   has:attachment  is:unread|read|flagged|starred|answered|draft
 *   before:DATE  after:DATE                   YYYY-MM-DD, YYYY/MM/DD, or an age: 7d 2w 3m 1y
 *   larger:SIZE  smaller:SIZE                 bytes, or with a K/M/G suffix
 *   -term                                     negation of any term
 *   anything else                             free text, all terms ANDed
 */
import type { SearchObject } from 'imapflow';

export type SearchParse = { ok: true; search: SearchObject } | { ok: false; message: string };

type Result<T> = { ok: true; value: T } | { ok: false; message: string };

interface Token {
  negated: boolean;
  /** The text before the colon of a "name:value" token, as typed. */
  name: string | undefined;
  value: string;
}

/** Keeps the SEARCH command and its nesting small; more than this is almost certainly a paste accident. */
const MAX_TERMS = 30;

/** RFC 3501 `number` is unsigned 32-bit: a larger LARGER/SMALLER argument is a BAD on strict servers. */
const MAX_SIZE = 2 ** 32 - 1;

/** Error messages quote the user's value; a pasted essay should not become the message. */
const MAX_QUOTED = 40;

const OPERATOR_PREFIX = /[a-z]+:/iy;
const CALENDAR_DATE = /^(\d{4})([-/])(\d{1,2})\2(\d{1,2})$/;
const AGE = /^(\d{1,6})([dwmy])$/i;
const SIZE = /^(\d{1,10}(?:\.\d{1,3})?)([kmg]?)b?$/i;
const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

const FLAG_TERMS: ReadonlyMap<string, SearchObject> = new Map<string, SearchObject>([
  ['unread', { seen: false }],
  ['read', { seen: true }],
  ['flagged', { flagged: true }],
  ['starred', { flagged: true }],
  ['answered', { answered: true }],
  ['draft', { draft: true }],
]);

/** Parses the search box. Never throws: a query that cannot be searched comes back as a message to show. */
export function parseSearchQuery(input: string, now: Date = new Date()): SearchParse {
  const tokens = tokenize(clean(input));
  if (!tokens.ok) return tokens;
  const terms: SearchObject[] = [];
  for (const token of tokens.value) {
    const term = toTerm(token, now);
    if (!term.ok) return term;
    if (term.value !== undefined) terms.push(term.value);
  }
  if (terms.length === 0) return { ok: false, message: 'Enter something to search for' };
  return { ok: true, search: conjoin(terms) };
}

// ---------------------------------------------------------------------------------------------------------------
// Tokens

/**
 * Any whitespace separates terms. Other control characters are dropped rather than refused: they are never
 * meant, and CR, LF or NUL in a value would make imapflow throw while building the command.
 */
function clean(input: string): string {
  return input.replace(/\s/g, ' ').replace(/\p{Cc}/gu, '');
}

function tokenize(text: string): Result<Token[]> {
  const tokens: Token[] = [];
  for (let pos = skipSpaces(text, 0); pos < text.length; pos = skipSpaces(text, pos)) {
    if (tokens.length === MAX_TERMS) return fail(`Use at most ${MAX_TERMS} search terms`);
    const read = readToken(text, pos);
    tokens.push(read.token);
    pos = read.end;
  }
  return { ok: true, value: tokens };
}

function skipSpaces(text: string, pos: number): number {
  while (text.charAt(pos) === ' ') pos++;
  return pos;
}

/** Reads one token starting at a non-space; always consumes at least one character. */
function readToken(text: string, start: number): { token: Token; end: number } {
  // A lone "-" is a word: there is nothing for it to negate.
  const negated = text.charAt(start) === '-' && start + 1 < text.length && text.charAt(start + 1) !== ' ';
  let pos = negated ? start + 1 : start;
  OPERATOR_PREFIX.lastIndex = pos;
  const prefix = OPERATOR_PREFIX.exec(text)?.[0];
  if (prefix !== undefined) pos += prefix.length;
  const { value, end } = text.charAt(pos) === '"' ? readQuoted(text, pos + 1) : readBare(text, pos);
  return { token: { negated, name: prefix?.slice(0, -1), value }, end };
}

function readBare(text: string, pos: number): { value: string; end: number } {
  const space = text.indexOf(' ', pos);
  const end = space === -1 ? text.length : space;
  return { value: text.slice(pos, end), end };
}

/** From just after the opening quote. An unterminated phrase runs to the end: forgiving beats refusing. */
function readQuoted(text: string, pos: number): { value: string; end: number } {
  let value = '';
  for (let i = pos; i < text.length; i++) {
    const ch = text.charAt(i);
    if (ch === '"') return { value, end: i + 1 };
    const next = text.charAt(i + 1);
    if (ch === '\\' && (next === '"' || next === '\\')) {
      value += next;
      i++;
    } else {
      value += ch;
    }
  }
  return { value, end: text.length };
}

// ---------------------------------------------------------------------------------------------------------------
// Terms

/**
 * Leading backslashes are dropped from values: imapflow (2.10) writes an ASCII value starting with one as a
 * bare atom (it skips the backslash of system flags like \Seen when deciding whether to quote), so "\x" would
 * go out as the invalid TEXT \x. Searching for the rest of the value finds a superset of the matches.
 */
const VALUE_EDGES = /^[ \\]+| +$/g;

/** One token → one term, a single-key SearchObject that compiles to exactly one IMAP search key. */
function toTerm(token: Token, now: Date): Result<SearchObject | undefined> {
  const value = token.value.replace(VALUE_EDGES, '');
  const operator = token.name === undefined || value === '' ? undefined : operatorTerm(token.name.toLowerCase(), value, now);
  const term = operator ?? textTerm(token.name, value);
  if (!term.ok || term.value === undefined || !token.negated) return term;
  return { ok: true, value: { not: term.value } };
}

/**
 * Free text. Unknown "name:value" tokens and operators without a value stay text as typed, so searching for
 * "re:", "fwd:" or a URL is never refused. An empty phrase ("") searches for nothing and is skipped.
 */
function textTerm(name: string | undefined, value: string): Result<SearchObject | undefined> {
  const text = name === undefined ? value : `${name}:${value}`;
  return { ok: true, value: text === '' ? undefined : { text } };
}

/** The term for a known operator, or undefined when `name` is not one. */
function operatorTerm(name: string, value: string, now: Date): Result<SearchObject> | undefined {
  switch (name) {
    case 'from':
      return ok({ from: value });
    case 'to':
      // Users think of "to" as "sent to me", which includes being copied.
      return ok({ or: [{ to: value }, { cc: value }] });
    case 'cc':
      return ok({ cc: value });
    case 'bcc':
      return ok({ bcc: value });
    case 'subject':
      return ok({ subject: value });
    case 'is':
      return flagTerm(value);
    case 'has':
      return attachmentTerm(value);
    case 'before':
    case 'after':
      return dateTerm(name, value, now);
    case 'larger':
    case 'smaller':
      return sizeTerm(name, value);
    default:
      return undefined;
  }
}

function flagTerm(value: string): Result<SearchObject> {
  const term = FLAG_TERMS.get(value.toLowerCase());
  if (term !== undefined) return ok({ ...term });
  return fail(`${quote('is', value)} is not supported; use is:unread, is:read, is:flagged, is:answered or is:draft`);
}

/**
 * IMAP has no "has an attachment" key. Mail with attachments is nearly always multipart/mixed at the top
 * level, and HEADER is a substring match on that top-level header, so this approximates it: it misses
 * attachments nested in multipart/alternative or /related or sent as a lone non-text body, and matches a
 * multipart/mixed message whose extra parts are only inline (a signature image, a list footer).
 */
function attachmentTerm(value: string): Result<SearchObject> {
  const what = value.toLowerCase();
  if (what === 'attachment' || what === 'attachments') return ok({ header: { 'content-type': 'multipart/mixed' } });
  return fail(`${quote('has', value)} is not supported; use has:attachment`);
}

/**
 * after:D is inclusive and before:D exclusive, as in Gmail: "after:2026-01-05 before:2026-01-06" is exactly
 * the 5th. That is IMAP's own SENTSINCE/SENTBEFORE semantics. The SENT* keys compare the Date: header, when
 * the message was written, which unlike the arrival time survives moves and imports.
 */
function dateTerm(name: 'before' | 'after', value: string, now: Date): Result<SearchObject> {
  const date = parseDate(value, now);
  if (date === undefined) {
    return fail(`${quote(name, value)} is not a valid date; use YYYY-MM-DD, YYYY/MM/DD or an age such as 7d, 2w, 3m or 1y`);
  }
  return ok(name === 'before' ? { sentBefore: date } : { sentSince: date });
}

function parseDate(value: string, now: Date): Date | undefined {
  const calendar = CALENDAR_DATE.exec(value);
  if (calendar) return calendarDate(Number(calendar[1]), Number(calendar[3]), Number(calendar[4]));
  const age = AGE.exec(value);
  if (age) return ago(Number(age[1]), (age[2] ?? '').toLowerCase(), now);
  return undefined;
}

/** The day, or undefined for dates that do not exist (2026-02-30) or cannot be written as an IMAP date. */
function calendarDate(year: number, month: number, day: number): Date | undefined {
  const date = utcDay(year, month - 1, day);
  const exists = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  return exists && imapWritable(date) ? date : undefined;
}

/**
 * The day `count` units before today. Days are UTC days: the server has no idea of the user's time zone, and
 * IMAP date keys ignore time of day anyway. Months and years clamp to the month's end (Mar 31 - 1m = Feb 28).
 */
function ago(count: number, unit: string, now: Date): Date | undefined {
  const [year, month, day] = [now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()];
  const date =
    unit === 'd'
      ? utcDay(year, month, day - count)
      : unit === 'w'
        ? utcDay(year, month, day - 7 * count)
        : monthsBefore(year, month, day, unit === 'm' ? count : 12 * count);
  return imapWritable(date) ? date : undefined;
}

function monthsBefore(year: number, month: number, day: number, months: number): Date {
  const first = utcDay(year, month - months, 1);
  const lastDay = utcDay(first.getUTCFullYear(), first.getUTCMonth() + 1, 0).getUTCDate();
  return utcDay(first.getUTCFullYear(), first.getUTCMonth(), Math.min(day, lastDay));
}

/**
 * Midnight UTC of a day; out-of-range months and days roll over. Built with setUTCFullYear because Date.UTC
 * maps years 0-99 to 1900-1999. Midnight UTC matters: imapflow writes dates in UTC and moves a SENTBEFORE
 * date that is not midnight UTC to the next day.
 */
function utcDay(year: number, monthIndex: number, day: number): Date {
  const date = new Date(0);
  date.setUTCFullYear(year, monthIndex, day);
  return date;
}

/** IMAP dates have a four-digit year; imapflow silently drops a date it cannot format, widening the search. */
function imapWritable(date: Date): boolean {
  const year = date.getUTCFullYear();
  return year >= 1 && year <= 9999;
}

/** Sizes use binary units, as mail clients display them. Zero is refused: imapflow drops a 0 size silently. */
function sizeTerm(name: 'larger' | 'smaller', value: string): Result<SearchObject> {
  const match = SIZE.exec(value);
  const unit = SIZE_UNITS[(match?.[2] ?? '').toLowerCase()] ?? Number.NaN;
  const bytes = match ? Math.round(Number(match[1]) * unit) : Number.NaN;
  if (!(bytes >= 1 && bytes <= MAX_SIZE)) {
    return fail(`${quote(name, value)} is not a valid size; use bytes or a number with K, M or G, below 4G`);
  }
  return ok(name === 'larger' ? { larger: bytes } : { smaller: bytes });
}

// ---------------------------------------------------------------------------------------------------------------
// AND

/**
 * ANDs the terms. The keys of one SearchObject are ANDed, but each key appears once, so terms that repeat a
 * key (two words, from:a from:b, two negations) go to separate levels, each level nested in the one before
 * through a one-element `or`: imapflow compiles `or: [x]` to x itself, parenthesised when x has several keys,
 * which in IMAP is a plain AND group. "a b c" becomes TEXT a (TEXT b TEXT c).
 *
 * Every level but the last needs its `or` for that link, so to: terms (which are `or` objects themselves)
 * are ANDed separately by allOf() and end the chain.
 */
function conjoin(terms: SearchObject[]): SearchObject {
  const levels = firstFit(terms.filter((term) => term.or === undefined));
  const recipients = terms.filter((term) => term.or !== undefined);
  if (recipients.length > 0) appendLevel(levels, allOf(recipients));
  return levels.reduceRight((inner, level) => ({ ...level, or: [inner] }));
}

/** Each term joins the first level without its key, so the nesting depth is the count of the most repeated key. */
function firstFit(terms: SearchObject[]): SearchObject[] {
  const levels: SearchObject[] = [];
  for (const term of terms) {
    const level = levels.find((candidate) => !sharesKey(candidate, term));
    if (level) Object.assign(level, term);
    else levels.push({ ...term });
  }
  return levels;
}

/** The last level needs no link, so a tree that fits into it merges flat ("from:a to:b" is one object). */
function appendLevel(levels: SearchObject[], tree: SearchObject): void {
  const last = levels.at(-1);
  if (last !== undefined && !sharesKey(last, tree)) Object.assign(last, tree);
  else levels.push(tree);
}

/**
 * ANDs `or` objects, which can never share a SearchObject. The second half goes through double negation
 * (NOT NOT x is x) since `not` is the only other key that holds a SearchObject. Halving keeps the nesting
 * logarithmic: a chain would add three levels per term, and servers cap nesting (ours at 50).
 */
function allOf(terms: SearchObject[]): SearchObject {
  const [first] = terms;
  if (terms.length === 1 && first !== undefined) return first;
  const half = Math.ceil(terms.length / 2);
  return { or: [allOf(terms.slice(0, half))], not: { not: allOf(terms.slice(half)) } };
}

function sharesKey(a: SearchObject, b: SearchObject): boolean {
  return Object.keys(a).some((key) => Object.hasOwn(b, key));
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers

function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

function fail(message: string): { ok: false; message: string } {
  return { ok: false, message };
}

/** "name:value" for an error message, the value shortened. */
function quote(name: string, value: string): string {
  // A cut through a surrogate pair would leave half a character.
  const shown = value.length > MAX_QUOTED ? `${value.slice(0, MAX_QUOTED).replace(/[\uD800-\uDBFF]$/, '')}…` : value;
  return `"${name}:${shown}"`;
}
