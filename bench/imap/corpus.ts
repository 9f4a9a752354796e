/**
 * Deterministic generator of a realistic RFC 5322 mail corpus for the IMAP benchmark.
 *
 * Every message is a pure function of (seed, message count, options): the same arguments always give the
 * same bytes, so two servers measured in the same (or a later) run receive identical mail.
 *
 * What the corpus looks like:
 *   - CRLF line endings everywhere, no line longer than 998 octets, ASCII only on the wire
 *     (non-ASCII text travels as quoted-printable, base64 or RFC 2047 encoded-words).
 *   - ~65% single-part text/plain (7bit, or quoted-printable UTF-8), ~20% multipart/alternative
 *     (text + HTML, quoted-printable or base64), ~15% multipart/mixed with a small base64 attachment
 *     (a third of those wrap a multipart/alternative body).
 *   - Sizes drawn from a log-normal distribution: median ~6 KB, the large majority between 2 and 30 KB,
 *     a few small ones and a thin tail up to ~120 KB.
 *   - Senders and recipients from a few dozen organisations under reserved TLDs (.example, .test),
 *     display names with and without non-ASCII characters, Cc on some messages, mailing-list tags.
 *   - Dates spread over ~3.5 years (2021-01 .. 2024-06), increasing with the message index plus jitter,
 *     with a mix of time zones.
 *   - Threads: about a third of the messages reply to a recent message (In-Reply-To + References chain,
 *     "Re: " subject, quoted text of the parent).
 *   - Word statistics: a "common" word (default "budget") is planted in ~75% of the messages and a made-up
 *     "rare" word (default "zyxquarkle") in exactly 5 (subject, plain 7bit body, QP part of an alternative,
 *     base64 part of an alternative, text part of a message with an attachment). The expected number of
 *     messages that a case-insensitive IMAP `SEARCH TEXT <word>` must return is computed from the
 *     generated (decoded) text itself, so it stays exact even when quoting copies the word into replies.
 *   - Optionally (--ham-dir), a fraction of the plain-text bodies is taken from real messages of a local
 *     corpus (e.g. /work/shared/corpus/ham). Those files are only read, never copied anywhere.
 *
 * Run directly to inspect it:  npx tsx bench/imap/corpus.ts --messages 200 --out /tmp/corpus-sample
 */
import { readdirSync, readFileSync, mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

// ---------------------------------------------------------------------------------------------------------
// Seeded PRNG: xoshiro128** seeded through splitmix32 from a string hash.
// ---------------------------------------------------------------------------------------------------------

function hashString(s: string): number {
  // FNV-1a, 32 bit
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number | string) {
    let x = (typeof seed === 'string' ? hashString(seed) : seed) >>> 0;
    const splitmix = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = splitmix();
    this.s1 = splitmix();
    this.s2 = splitmix();
    this.s3 = splitmix();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Uniform unsigned 32-bit integer. */
  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    this.s3 >>>= 0;
    return result;
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from empty list');
    return items[this.int(items.length)] as T;
  }

  /** Standard normal deviate (Box-Muller). */
  normal(): number {
    let u = this.float();
    if (u < 1e-12) u = 1e-12;
    const v = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let i = 0;
    while (i + 4 <= n) {
      out.writeUInt32LE(this.u32(), i);
      i += 4;
    }
    while (i < n) out[i++] = this.u32() & 0xff;
    return out;
  }

  hex(len: number): string {
    let s = '';
    while (s.length < len) s += this.u32().toString(16).padStart(8, '0');
    return s.slice(0, len);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Picks items with Zipf-like frequencies (weight 1/(rank+offset)^s) through a cumulative table. */
class ZipfPicker<T> {
  private readonly cumulative: Float64Array;
  private readonly total: number;

  constructor(private readonly items: readonly T[], s = 1.0, offset = 2.7) {
    this.cumulative = new Float64Array(items.length);
    let acc = 0;
    for (let i = 0; i < items.length; i++) {
      acc += 1 / Math.pow(i + offset, s);
      this.cumulative[i] = acc;
    }
    this.total = acc;
  }

  pick(rng: Rng): T {
    const target = rng.float() * this.total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.cumulative[mid] as number) < target) lo = mid + 1;
      else hi = mid;
    }
    return this.items[lo] as T;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Word lists (written for this benchmark; ordered roughly by frequency for the Zipf picker).
// None of them may contain the default common or rare word: checked at start-up.
// ---------------------------------------------------------------------------------------------------------

const FUNCTION_WORDS = (
  'the to and of a in is that for it we on you this be with are as have will at not can from our if ' +
  'or was but all so by an they would please do has your about there what which one just need me let ' +
  'know also more think should could get been some when its up out see any were them then than into ' +
  'us their these only other now over after how well back because here make those very still before ' +
  'most both each such much where while why who whom did does done same few'
).split(' ');

const CONTENT_WORDS = (
  'time team week meeting update review plan project release draft report customer client account ' +
  'issue problem question answer request change version server database service network support ' +
  'schedule call today tomorrow monday tuesday wednesday thursday friday morning afternoon evening ' +
  'document file attached attachment link page section table chart figure slide deck summary notes ' +
  'agenda minutes action item items owner deadline milestone quarter month year estimate cost price ' +
  'invoice order payment contract proposal offer quote vendor supplier partner sales marketing ' +
  'engineering design product feature bug fix patch test tests testing build deploy deployment ' +
  'production staging environment config configuration setting settings option options access ' +
  'password login user users group groups permission role policy security audit compliance risk ' +
  'incident outage latency performance memory disk storage backup restore migration upgrade ' +
  'install installation laptop phone office travel flight hotel trip conference workshop training ' +
  'session talk presentation demo feedback comment comments suggestion idea ideas proposal draft ' +
  'approval approve approved signed sign review reviewed pending open closed resolved ticket case ' +
  'status progress result results data analysis metric metrics dashboard numbers figures forecast ' +
  'revenue expense expenses hiring interview candidate offer onboarding holiday vacation leave ' +
  'birthday lunch dinner coffee party weekend family kids school weather train traffic road ' +
  'address email message thread reply forward list newsletter announcement reminder invitation ' +
  'calendar room building floor desk printer screen keyboard cable charger battery software hardware ' +
  'license renewal subscription trial discount shipping delivery package warehouse inventory stock ' +
  'supply demand market competitor strategy goal goals priority priorities focus scope requirement ' +
  'requirements specification spec interface api endpoint client library module component package ' +
  'repository branch merge commit pipeline runner job queue worker cache index search query report ' +
  'export import format spreadsheet sheet column row value total average minimum maximum percent ' +
  'legal finance accounting payroll tax taxes receipt refund claim insurance benefit benefits ' +
  'manager director team lead engineer analyst designer developer intern contractor consultant ' +
  'board committee council department division region country city site location venue ' +
  'good great fine sure thanks thank happy glad sorry late early quick short long small large big ' +
  'new old next last first final current previous recent upcoming important urgent critical minor ' +
  'major simple complex clear possible likely available free busy ready missing wrong right correct ' +
  'send sent receive received check checked confirm confirmed share shared discuss discussed agree ' +
  'agreed follow following move moved cancel cancelled postpone postponed book booked prepare ' +
  'prepared finish finished start started continue continued help helped look looked find found ' +
  'keep kept bring brought write wrote read call called ask asked tell told give gave take took ' +
  'work working worked run running ran add added remove removed update updated create created'
).split(' ');

const JARGON_SYLLABLES = (
  'al an ar as be bel ca cor da del di do el en er fa fen fi ga gor ha hel in is ka kel ko la len li ' +
  'lo ma mar me mi mo na nel ni no or pa pel pi po ra ren ri ro sa sel si so ta tel ti to tra ul va ' +
  'vel vi vo wa wen xa ya za zen'
).split(' ');

const FIRST_NAMES = (
  'Anna Ben Carla David Elena Frank Grace Henry Irene Jack Karen Liam Maria Noah Olivia Paul Quinn ' +
  'Rachel Sam Tina Umar Vera Walter Xenia Yusuf Zara Alice Bob Chris Diana Ethan Fiona George Hannah ' +
  'Ivan Julia Kevin Laura Marco Nina Oscar Petra Rosa Simon Theo Ursula Victor Wendy Yara Leo Mia ' +
  'Jonas Lena Felix Sofia Emil Clara Hugo Ida Max Nora Otto Pia Rudi Sara Tom Ulla Vince Wilma'
).split(' ');

const FIRST_NAMES_INTL = ['José', 'Zoë', 'Jürgen', 'Søren', 'François', 'Ágnes', 'Łukasz', 'Chloé', 'Håkon', 'Renée'];

const LAST_NAMES = (
  'Smith Jones Miller Davis Garcia Wilson Moore Taylor Anderson Thomas Jackson White Harris Martin ' +
  'Thompson Martinez Robinson Clark Lewis Lee Walker Hall Allen Young King Wright Scott Green Baker ' +
  'Adams Nelson Hill Campbell Mitchell Roberts Carter Phillips Evans Turner Parker Collins Edwards ' +
  'Stewart Morris Murphy Cook Rogers Morgan Cooper Peterson Reed Bailey Bell Kelly Howard Ward Cox ' +
  'Richardson Wood Watson Brooks Bennett Gray James Hughes Price Sanders Myers Long Ross Foster ' +
  'Schmidt Fischer Weber Wagner Becker Hoffmann Koch Richter Klein Wolf Neumann Schwarz Braun'
).split(' ');

const LAST_NAMES_INTL = ['Müller', 'Schröder', 'Nuñez', 'Dvořák', 'Åström', 'Lefèvre', 'Gonçalves', 'Kowalczyk'];

const ORGS = (
  'northwind contoso fabrikam adatum tailspin wingtip litware proseware lucerne margie woodgrove ' +
  'alpine coho fourthcoffee humongous treyresearch wideworld blueyonder cpandl relecloud ' +
  'acme globex initech umbrella hooli vandelay stark wayne cyberdyne tyrell soylent'
).split(' ');

const TLDS = ['example', 'test', 'example.com', 'example.org', 'example.net'];

const SUBJECT_STARTERS = [
  'Update on', 'Question about', 'Notes from', 'Follow-up:', 'Draft:', 'Reminder:', 'Action needed:',
  'FYI:', 'Re-scheduling', 'Feedback on', 'Plan for', 'Status of', 'Review:', 'Request:', 'Invitation:',
  'Summary of', 'Thoughts on', 'Next steps for', 'Proposal for', 'Issue with', 'Heads up:', 'New',
];

const LIST_TAGS = ['[dev]', '[ops]', '[all-hands]', '[sales]', '[infra]', '[announce]', '[support]'];

const INTL_PHRASES = [
  'café', 'naïve', 'résumé', 'déjà vu', 'Grüße', 'Straße', 'über', 'señor', 'año', 'smørrebrød',
  'piñata', 'façade', 'crème brûlée', 'Zürich', 'São Paulo', 'Kraków', 'Malmö', '€ 120', '— see below',
  '“quoted”', 'naïveté', 'jalapeño', 'Ærø', 'fiancée',
];

const GREETINGS = ['Hi {name},', 'Hello {name},', 'Dear {name},', 'Hey {name},', 'Hi all,', 'Hello team,', 'Good morning,', '{name},'];
const CLOSINGS = ['Thanks,', 'Best regards,', 'Cheers,', 'Kind regards,', 'Best,', 'Thank you,', 'Regards,', 'Talk soon,'];
const TITLES = ['Project Manager', 'Senior Engineer', 'Account Executive', 'Operations Lead', 'Director of Sales', 'Product Owner', 'Office Manager', 'Data Analyst', 'Support Specialist', 'CFO'];
const MAILERS = ['Microsoft Outlook 16.0', 'Apple Mail (2.3654)', 'Mozilla Thunderbird 115.6', 'Roundcube Webmail/1.6.5', 'K-9 Mail for Android', 'Evolution 3.46.4', 'Mutt/2.2.9'];
const ATTACHMENTS: ReadonlyArray<readonly [string, string]> = [
  ['application/pdf', 'pdf'], ['image/png', 'png'], ['image/jpeg', 'jpg'], ['text/csv', 'csv'],
  ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'xlsx'],
  ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'docx'],
  ['application/zip', 'zip'], ['text/calendar', 'ics'],
];
const ATTACHMENT_STEMS = ['report', 'invoice', 'minutes', 'screenshot', 'photo', 'agenda', 'slides', 'export', 'contract', 'diagram', 'scan', 'notes', 'schedule', 'receipt', 'plan'];
const TIMEZONES: ReadonlyArray<readonly [string, number]> = [
  ['+0000', 0], ['+0100', 60], ['+0200', 120], ['-0500', -300], ['-0400', -240], ['-0800', -480],
  ['-0700', -420], ['+0530', 330], ['+0900', 540], ['+1000', 600], ['+0100', 60], ['+0100', 60],
];
const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

// ---------------------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------------------

export interface CorpusOptions {
  /** Number of messages (default 100,000). */
  messages?: number;
  /** PRNG seed (default "mailwerk-imap-bench-1"). */
  seed?: string;
  /** Word planted in ~commonFraction of the messages (default "budget"). */
  commonWord?: string;
  /** Fraction of messages that get the common word planted (default 0.75). Quoting may add a few more. */
  commonFraction?: number;
  /** Made-up word planted in exactly rareCount messages (default "zyxquarkle"). */
  rareWord?: string;
  /** Number of messages carrying the rare word (default 5). */
  rareCount?: number;
  /** Optional directory of real RFC 822 messages whose plain bodies are mixed in (read only). */
  hamDir?: string;
  /** Fraction of messages whose body comes from hamDir when it is given (default 0.1). */
  hamFraction?: number;
}

export interface CorpusMessage {
  /** The full RFC 5322 message, CRLF line endings. */
  raw: Buffer;
  /** Flags to APPEND with, e.g. ['\\Seen']. */
  flags: string[];
  /** IMAP date-time for APPEND, e.g. "05-Mar-2024 14:03:12 +0100". */
  internalDate: string;
  /** True when the decoded text (headers, text parts) contains the common word (case-insensitive). */
  hasCommon: boolean;
  /** True when the decoded text contains the rare word (case-insensitive). */
  hasRare: boolean;
}

export interface CorpusStats {
  messages: number;
  seed: string;
  totalBytes: number;
  minBytes: number;
  maxBytes: number;
  medianBytes: number;
  p05Bytes: number;
  p95Bytes: number;
  fractionBetween2And30KB: number;
  kinds: Record<string, number>;
  replies: number;
  hamBodies: number;
  commonWord: string;
  rareWord: string;
  expectedCommonHits: number;
  expectedRareHits: number;
  /** Messages whose raw bytes contain a search word while the decoded text does not (should be 0). */
  ambiguousRaw: number;
  generationMs: number;
}

export interface Corpus {
  messages: CorpusMessage[];
  stats: CorpusStats;
}

type Kind = 'plain' | 'plain-qp' | 'alternative' | 'mixed' | 'mixed-alternative';

interface Person {
  name: string; // display name, may contain non-ASCII
  address: string;
  org: string;
}

interface Meta {
  messageId: string;
  references: string[];
  rootSubject: string;
  from: Person;
  quotable: string; // first paragraph(s) of the body, for quoting by replies
  date: Date;
}

// ---------------------------------------------------------------------------------------------------------
// Encoders
// ---------------------------------------------------------------------------------------------------------

const CRLF = '\r\n';

function isAscii(s: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(s);
}

/** Quoted-printable (RFC 2045 6.7) of UTF-8 text whose hard line breaks are CRLF; lines stay <= 76 chars. */
export function encodeQuotedPrintable(text: string): string {
  const src = Buffer.from(text, 'utf8');
  const out = Buffer.allocUnsafe(src.length * 3 + Math.ceil(src.length / 24) * 3 + 16);
  let o = 0;
  let col = 0;
  for (let i = 0; i < src.length; i++) {
    const b = src[i] as number;
    if (b === 13 && src[i + 1] === 10) {
      out[o++] = 13;
      out[o++] = 10;
      i++;
      col = 0;
      continue;
    }
    const atEol = i + 1 >= src.length || (src[i + 1] === 13 && src[i + 2] === 10);
    const literal = (b >= 33 && b <= 126 && b !== 61) || ((b === 32 || b === 9) && !atEol);
    const width = literal ? 1 : 3;
    if (col + width > 75) {
      out[o++] = 61; // soft line break
      out[o++] = 13;
      out[o++] = 10;
      col = 0;
    }
    if (literal) {
      out[o++] = b;
      col += 1;
    } else {
      out[o++] = 61;
      out[o++] = HEX_DIGITS[b >> 4] as number;
      out[o++] = HEX_DIGITS[b & 15] as number;
      col += 3;
    }
  }
  return out.toString('latin1', 0, o);
}

const HEX_DIGITS = Buffer.from('0123456789ABCDEF', 'latin1');

export function encodeBase64Lines(data: Buffer): string {
  const b64 = data.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return lines.join(CRLF);
}

/** RFC 2047 encoded-word(s) for a header phrase if it is not plain ASCII. */
function encodeWord(text: string, rng: Rng): string {
  if (isAscii(text)) return text;
  const useB = rng.chance(0.5);
  // Split into chunks so each encoded word stays below 75 characters.
  const chunks: string[] = [];
  let cur = '';
  for (const ch of text) {
    if (Buffer.byteLength(cur + ch, 'utf8') > 30) {
      chunks.push(cur);
      cur = '';
    }
    cur += ch;
  }
  if (cur) chunks.push(cur);
  return chunks
    .map((c) => {
      if (useB) return `=?UTF-8?B?${Buffer.from(c, 'utf8').toString('base64')}?=`;
      let q = '';
      for (const b of Buffer.from(c, 'utf8')) {
        if ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)) q += String.fromCharCode(b);
        else if (b === 0x20) q += '_';
        else q += '=' + (b < 16 ? '0' : '') + b.toString(16).toUpperCase();
      }
      return `=?UTF-8?Q?${q}?=`;
    })
    .join(CRLF + ' ');
}

function quotePhrase(name: string): string {
  if (/^[A-Za-z0-9 !#$%&'*+\-/=?^_`{|}~]+$/.test(name)) return name;
  return '"' + name.replace(/["\\]/g, '\\$&') + '"';
}

function formatMailbox(p: Person, rng: Rng): string {
  if (!isAscii(p.name)) return `${encodeWord(p.name, rng)} <${p.address}>`;
  return `${quotePhrase(p.name)} <${p.address}>`;
}

/** Folds a structured header made of comma/space separated items at ~76 columns. */
function foldList(name: string, items: string[], sep: string): string {
  let line = name + ': ';
  const lines: string[] = [];
  items.forEach((item, i) => {
    const piece = item + (i < items.length - 1 ? sep : '');
    if (line.length + piece.length > 76 && line.length > name.length + 2) {
      lines.push(line.trimEnd());
      line = ' ';
    }
    line += piece;
  });
  lines.push(line);
  return lines.join(CRLF);
}

/** Wraps one paragraph (no line breaks inside) at `width` columns. */
function wrap(paragraph: string, width = 72, prefix = ''): string {
  const max = width - prefix.length;
  const out: string[] = [];
  let rest = paragraph;
  while (rest.length > max) {
    let cut = rest.lastIndexOf(' ', max);
    if (cut <= 0) cut = rest.indexOf(' ', max);
    if (cut <= 0) break;
    out.push(prefix + rest.slice(0, cut));
    rest = rest.slice(cut + 1);
  }
  out.push(prefix + rest);
  return out.join(CRLF);
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/** RFC 5322 date-time in the given zone offset (minutes east of UTC). */
function rfc5322Date(utc: Date, zone: string, offsetMin: number): string {
  const d = new Date(utc.getTime() + offsetMin * 60_000);
  return (
    `${DAY_NAMES[d.getUTCDay()]}, ${pad2(d.getUTCDate())} ${MONTH_NAMES[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} ${zone}`
  );
}

/** IMAP date-time (RFC 3501) in the given zone offset. */
function imapDate(utc: Date, zone: string, offsetMin: number): string {
  const d = new Date(utc.getTime() + offsetMin * 60_000);
  return (
    `${pad2(d.getUTCDate())}-${MONTH_NAMES[d.getUTCMonth()]}-${d.getUTCFullYear()} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} ${zone}`
  );
}

// ---------------------------------------------------------------------------------------------------------
// Real bodies from a local corpus (optional)
// ---------------------------------------------------------------------------------------------------------

/**
 * Loads the plain bodies of simple text messages from `dir`, sorted by file name for determinism.
 * Multipart and encoded messages are skipped; non-ASCII bytes become '?', lines are CRLF and at most
 * 900 characters. Nothing is written anywhere.
 */
export function loadHamBodies(dir: string, avoidWords: string[]): string[] {
  if (!existsSync(dir)) throw new Error(`ham directory not found: ${dir}`);
  const files = readdirSync(dir).filter((f) => !f.startsWith('.')).sort();
  const bodies: string[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(join(dir, f), 'latin1');
    } catch {
      continue;
    }
    text = text.replace(/\r\n?/g, '\n');
    const sep = text.indexOf('\n\n');
    if (sep < 0) continue;
    const head = text.slice(0, sep).toLowerCase();
    const ct = /^content-type:\s*([^;\s]+)/m.exec(head)?.[1];
    const cte = /^content-transfer-encoding:\s*(\S+)/m.exec(head)?.[1];
    if (ct && ct !== 'text/plain') continue;
    if (cte && cte !== '7bit' && cte !== '8bit') continue;
    // eslint-disable-next-line no-control-regex
    let body = text.slice(sep + 2).replace(/[^\x09\x0a\x20-\x7e]/g, '?');
    const lower = body.toLowerCase();
    if (avoidWords.some((w) => lower.includes(w))) continue;
    body = body
      .split('\n')
      .map((l) => (l.length > 900 ? l.slice(0, 900) : l))
      .join(CRLF);
    if (body.trim().length < 200) continue;
    bodies.push(body.replace(/(\r\n)+$/, '') + CRLF);
  }
  return bodies;
}

// ---------------------------------------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------------------------------------

export const DEFAULTS = {
  messages: 100_000,
  seed: 'mailwerk-imap-bench-1',
  commonWord: 'budget',
  commonFraction: 0.75,
  rareWord: 'zyxquarkle',
  rareCount: 5,
  hamFraction: 0.1,
} as const;

const START_DATE = Date.UTC(2021, 0, 4, 8, 0, 0);
const END_DATE = Date.UTC(2024, 5, 28, 18, 0, 0);

export class CorpusGenerator {
  private readonly rng: Rng;
  private readonly n: number;
  private readonly common: string;
  private readonly rare: string;
  private readonly commonRe: RegExp;
  private readonly rareRe: RegExp;
  private readonly commonFraction: number;
  private readonly rareAt: Map<number, number>; // message index -> placement variant (0..4)
  private readonly realWords: ZipfPicker<string>;
  private readonly jargonWords: ZipfPicker<string>;
  private readonly sentences: string[];
  private readonly people: Person[];
  private readonly peoplePicker: ZipfPicker<Person>;
  private readonly orgs: string[];
  private readonly ham: string[];
  private readonly hamFraction: number;
  private readonly metas: Meta[] = [];
  private index = 0;
  readonly seed: string;

  constructor(opts: CorpusOptions = {}) {
    this.n = opts.messages ?? DEFAULTS.messages;
    this.seed = opts.seed ?? DEFAULTS.seed;
    this.common = (opts.commonWord ?? DEFAULTS.commonWord).toLowerCase();
    this.rare = (opts.rareWord ?? DEFAULTS.rareWord).toLowerCase();
    if (!/^[a-z0-9]+$/.test(this.common) || !/^[a-z0-9]+$/.test(this.rare)) {
      throw new Error('common and rare words must be plain ASCII letters/digits');
    }
    if (this.common.includes(this.rare) || this.rare.includes(this.common)) {
      throw new Error('common and rare words must not contain each other');
    }
    this.commonRe = new RegExp(this.common, 'i');
    this.rareRe = new RegExp(this.rare, 'i');
    this.commonFraction = opts.commonFraction ?? DEFAULTS.commonFraction;
    this.hamFraction = opts.hamDir ? (opts.hamFraction ?? DEFAULTS.hamFraction) : 0;
    this.rng = new Rng(`${this.seed}/${this.n}`);

    const avoid = (w: string): boolean => {
      const l = w.toLowerCase();
      return !l.includes(this.common) && !l.includes(this.rare);
    };

    // Vocabulary: function words (most frequent), content words, then synthetic "jargon" words that give the
    // vocabulary a long tail like real mail (project names, surnames, typos, identifiers).
    const vocabRng = new Rng(`${this.seed}/vocabulary`);
    const content = shuffle([...new Set(CONTENT_WORDS)], vocabRng);
    const jargon = new Set<string>();
    while (jargon.size < 6000) {
      const parts = vocabRng.range(2, 4);
      let w = '';
      for (let i = 0; i < parts; i++) w += vocabRng.pick(JARGON_SYLLABLES);
      jargon.add(w);
    }
    this.realWords = new ZipfPicker([...FUNCTION_WORDS, ...content].filter(avoid), 1.0, 2.7);
    this.jargonWords = new ZipfPicker([...jargon].filter(avoid), 0.9, 10);

    // Sentence pool: bodies are assembled from these (fast), with per-message tokens mixed in.
    const sentRng = new Rng(`${this.seed}/sentences`);
    this.sentences = [];
    for (let i = 0; i < 40_000; i++) this.sentences.push(this.makeSentence(sentRng));

    // People: a few hundred correspondents with Zipf-distributed activity.
    const peopleRng = new Rng(`${this.seed}/people`);
    this.orgs = ORGS.map((o) => `${o}.${peopleRng.pick(TLDS)}`);
    const seen = new Set<string>();
    this.people = [];
    while (this.people.length < 600) {
      const intlFirst = peopleRng.chance(0.08);
      const intlLast = peopleRng.chance(0.06);
      const first = intlFirst ? peopleRng.pick(FIRST_NAMES_INTL) : peopleRng.pick(FIRST_NAMES);
      const last = intlLast ? peopleRng.pick(LAST_NAMES_INTL) : peopleRng.pick(LAST_NAMES);
      const org = peopleRng.pick(this.orgs);
      const local = asciiFold(peopleRng.chance(0.6) ? `${first}.${last}` : `${first[0]}${last}`).toLowerCase();
      const address = `${local}@${org}`;
      if (seen.has(address) || !avoid(address) || !avoid(first + last)) continue;
      seen.add(address);
      this.people.push({ name: peopleRng.chance(0.9) ? `${first} ${last}` : '', address, org });
    }
    this.peoplePicker = new ZipfPicker(this.people, 0.8, 5);

    // Rare word: exactly rareCount messages, spread over the mailbox, with varied placement.
    this.rareAt = new Map();
    const rareCount = Math.min(opts.rareCount ?? DEFAULTS.rareCount, this.n);
    const rareRng = new Rng(`${this.seed}/rare/${this.n}`);
    for (let k = 0; k < rareCount; k++) {
      const lo = Math.floor((k * this.n) / rareCount);
      const hi = Math.max(lo, Math.floor(((k + 1) * this.n) / rareCount) - 1);
      this.rareAt.set(rareRng.range(lo, hi), k % 5);
    }

    this.ham = opts.hamDir ? loadHamBodies(opts.hamDir, [this.common, this.rare]) : [];
    if (opts.hamDir && this.ham.length === 0) throw new Error(`no usable plain-text bodies in ${opts.hamDir}`);

    for (const list of [FUNCTION_WORDS, CONTENT_WORDS, FIRST_NAMES, FIRST_NAMES_INTL, LAST_NAMES, LAST_NAMES_INTL, ORGS,
      SUBJECT_STARTERS, LIST_TAGS, INTL_PHRASES, GREETINGS, CLOSINGS, TITLES, MAILERS, ATTACHMENT_STEMS]) {
      for (const w of list) {
        if (!avoid(w)) throw new Error(`corpus word list entry "${w}" contains the common or rare word; pick other words`);
      }
    }
  }

  get total(): number {
    return this.n;
  }

  private makeSentence(rng: Rng): string {
    const len = rng.range(5, 18);
    const parts: string[] = [];
    for (let i = 0; i < len; i++) {
      let w = this.word(rng);
      if (i === 0) w = w[0]!.toUpperCase() + w.slice(1);
      parts.push(w);
      if (i > 2 && i < len - 2 && rng.chance(0.08)) parts[parts.length - 1] += ',';
    }
    const end = rng.chance(0.85) ? '.' : rng.chance(0.6) ? '?' : '!';
    return parts.join(' ') + end;
  }

  /** A word: mostly everyday English (Zipf), sometimes a rarer "jargon" word (names, product codes, typos). */
  private word(rng: Rng): string {
    return rng.chance(0.07) ? this.jargonWords.pick(rng) : this.realWords.pick(rng);
  }

  private person(rng: Rng): Person {
    return this.peoplePicker.pick(rng);
  }

  private token(rng: Rng): string {
    switch (rng.int(8)) {
      case 0: return `#${rng.range(1000, 99999)}`;
      case 1: return `${rng.pick(['INV', 'PO', 'REQ', 'CASE', 'JIRA', 'OPS'])}-${rng.range(100, 99999)}`;
      case 2: return `https://${rng.pick(this.orgs)}/${this.word(rng)}/${rng.hex(8)}`;
      case 3: return `${rng.range(1, 28)}.${rng.range(1, 12)}.${rng.range(2021, 2024)}`;
      case 4: return `${rng.range(1, 999)}.${rng.range(0, 99)} USD`;
      case 5: return `v${rng.range(1, 9)}.${rng.range(0, 30)}.${rng.range(0, 99)}`;
      case 6: return `${rng.range(10, 99)}%`;
      default: return `+1-555-${rng.range(100, 999)}-${rng.range(1000, 9999)}`;
    }
  }

  /** A paragraph of 2-7 sentences, with per-message tokens and optional non-ASCII phrases. */
  private paragraph(rng: Rng, intl: boolean): string {
    const count = rng.range(2, 7);
    const parts: string[] = [];
    for (let i = 0; i < count; i++) {
      let s = rng.pick(this.sentences);
      if (rng.chance(0.25)) s = s.slice(0, -1) + ' ' + this.token(rng) + s.slice(-1);
      if (intl && rng.chance(0.3)) s = s.slice(0, -1) + ' ' + rng.pick(INTL_PHRASES) + s.slice(-1);
      parts.push(s);
    }
    return parts.join(' ');
  }

  /** Inserts `word` at a random word boundary of the paragraph. */
  private plant(paragraph: string, word: string, rng: Rng): string {
    const words = paragraph.split(' ');
    const at = rng.range(1, Math.max(1, words.length - 1));
    words.splice(at, 0, word);
    return words.join(' ');
  }

  private subject(rng: Rng, intl: boolean): string {
    const n = rng.range(2, 6);
    const ws: string[] = [];
    for (let i = 0; i < n; i++) ws.push(this.word(rng));
    let s = `${rng.pick(SUBJECT_STARTERS)} ${ws.join(' ')}`;
    if (rng.chance(0.2)) s += ` ${this.token(rng)}`;
    if (intl && rng.chance(0.5)) s += ` ${rng.pick(INTL_PHRASES)}`;
    if (rng.chance(0.1)) s = `${rng.pick(LIST_TAGS)} ${s}`;
    return s;
  }

  private pickKind(rng: Rng, variant: number | undefined): Kind {
    if (variant !== undefined) {
      return (['plain', 'plain', 'alternative', 'alternative', 'mixed'] as const)[variant] as Kind;
    }
    const r = rng.float();
    if (r < 0.55) return 'plain';
    if (r < 0.65) return 'plain-qp';
    if (r < 0.85) return 'alternative';
    if (r < 0.95) return 'mixed';
    return 'mixed-alternative';
  }

  /** Generates the next message; call exactly `messages` times. */
  next(): CorpusMessage & { kind: Kind; isReply: boolean; fromHam: boolean } {
    if (this.index >= this.n) throw new Error('corpus exhausted');
    const i = this.index++;
    const rng = this.rng;
    const rareVariant = this.rareAt.get(i);
    let kind = this.pickKind(rng, rareVariant);
    let intl = kind === 'plain-qp' || (kind !== 'plain' && rng.chance(0.3));
    if (rareVariant === 1) intl = false; // plain 7bit body

    // Date: linear in the index with jitter, so threads stay chronological.
    const base = START_DATE + ((END_DATE - START_DATE) * i) / this.n;
    const date = new Date(Math.floor(base + rng.float() * 6 * 3600_000));
    const [zone, offset] = rng.pick(TIMEZONES);

    // Thread structure.
    let parent: Meta | undefined;
    if (this.metas.length > 10 && rng.chance(0.35)) {
      const back = 1 + Math.floor(Math.pow(rng.float(), 3) * Math.min(2000, this.metas.length - 1));
      parent = this.metas[this.metas.length - back];
    }
    const from = this.person(rng);
    const toCount = rng.chance(0.75) ? 1 : rng.range(2, 6);
    const to: Person[] = [];
    if (parent && parent.from.address !== from.address) to.push(parent.from);
    while (to.length < toCount) {
      const p = this.person(rng);
      if (p.address !== from.address && !to.includes(p)) to.push(p);
    }
    const cc: Person[] = [];
    if (rng.chance(0.3)) {
      const ccCount = rng.range(1, 4);
      for (let k = 0; k < ccCount; k++) {
        const p = this.person(rng);
        if (p.address !== from.address && !to.includes(p) && !cc.includes(p)) cc.push(p);
      }
    }

    const rootSubject = parent ? parent.rootSubject : this.subject(rng, intl);
    let subject = parent ? `Re: ${rootSubject}` : rootSubject;
    if (!parent && rng.chance(0.05)) subject = `Fwd: ${subject}`;
    const plantCommon = rng.chance(this.commonFraction);
    const commonInSubject = plantCommon && rng.chance(0.15);
    if (commonInSubject) subject = this.plant(subject, this.common, rng);
    if (rareVariant === 0) subject = this.plant(subject, this.rare, rng);

    const messageId = `<${date.getTime().toString(36)}.${rng.hex(12)}.${i}@${from.org}>`;
    const references = parent ? [...parent.references.slice(-9), parent.messageId] : [];

    // Body text.
    const targetSize = Math.min(120_000, Math.max(700, Math.round(Math.exp(Math.log(5200) + 0.8 * rng.normal()))));
    const useHam = this.ham.length > 0 && (kind === 'plain' || kind === 'mixed') && rareVariant === undefined && rng.chance(this.hamFraction);
    const firstName = (p: Person | undefined): string => (p?.name ? (p.name.split(' ')[0] as string) : 'there');
    const paragraphs: string[] = [];
    let textPlain: string;
    let quotable: string;
    if (useHam) {
      const ham = this.ham[rng.int(this.ham.length)] as string;
      paragraphs.push(ham);
      textPlain = ham;
      quotable = ham.slice(0, 600);
      if (plantCommon && !commonInSubject) textPlain = `${this.plant(this.paragraph(rng, false), this.common, rng)}${CRLF}${CRLF}${textPlain}`;
    } else {
      paragraphs.push(rng.pick(GREETINGS).replace('{name}', firstName(to[0])));
      let size = 0;
      const bodyParas: string[] = [];
      while (size < targetSize * 0.8 || bodyParas.length === 0) {
        const p = this.paragraph(rng, intl);
        bodyParas.push(p);
        size += p.length + 4;
        if (bodyParas.length > 400) break;
      }
      if (plantCommon && !commonInSubject) {
        const k = rng.int(bodyParas.length);
        bodyParas[k] = this.plant(bodyParas[k] as string, this.common, rng);
      }
      if (rareVariant !== undefined && rareVariant !== 0) {
        const k = rng.int(bodyParas.length);
        bodyParas[k] = this.plant(bodyParas[k] as string, this.rare, rng);
      }
      paragraphs.push(...bodyParas);
      const signature = `-- ${CRLF}${from.name || from.address}${CRLF}${rng.pick(TITLES)}, ${from.org}${CRLF}${this.token(rng)}`;
      const closing = `${rng.pick(CLOSINGS)}${CRLF}${firstName(from)}`;
      let text = paragraphs.map((p) => wrap(p)).join(CRLF + CRLF) + CRLF + CRLF + closing + CRLF;
      if (parent) {
        const quoted = parent.quotable
          .split(CRLF + CRLF)
          .map((p) => (p.startsWith('>') ? p.split(CRLF).map((l) => '>' + l).join(CRLF) : wrap(p.replace(/\r\n/g, ' '), 72, '> ')))
          .join(CRLF + '>' + CRLF);
        text += `${CRLF}On ${rfc5322Date(parent.date, '+0000', 0)}, ${parent.from.name || parent.from.address} wrote:${CRLF}${quoted}${CRLF}`;
      }
      text += CRLF + signature + CRLF;
      textPlain = text;
      quotable = paragraphs.slice(1, 3).join(CRLF + CRLF);
    }
    if (!intl && !isAscii(textPlain)) intl = true; // defensive: plain 7bit must be ASCII
    if (kind === 'plain' && intl) kind = 'plain-qp';

    // Assemble the MIME structure.
    const boundary = (): string => `=_${rng.hex(24)}`;
    const textPart = (body: string, forceEncoding?: 'quoted-printable' | 'base64'): { head: string; body: string } => {
      const enc = forceEncoding ?? (isAscii(body) ? '7bit' : 'quoted-printable');
      const charset = isAscii(body) ? 'us-ascii' : 'utf-8';
      const encoded = enc === '7bit' ? body : enc === 'base64' ? encodeBase64Lines(Buffer.from(body, 'utf8')) : encodeQuotedPrintable(body);
      return {
        head: `Content-Type: text/plain; charset=${charset}${CRLF}Content-Transfer-Encoding: ${enc}`,
        body: encoded.endsWith(CRLF) ? encoded : encoded + CRLF,
      };
    };
    const htmlPart = (forceEncoding?: 'quoted-printable' | 'base64'): { head: string; body: string } => {
      const html =
        `<!DOCTYPE html>${CRLF}<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>${CRLF}` +
        `<body style="font-family: Calibri, Arial, sans-serif; font-size: 11pt">${CRLF}` +
        paragraphs.map((p) => `<p>${escapeHtml(p).replace(/\r\n/g, '<br>')}</p>`).join(CRLF) +
        `${CRLF}<p>${escapeHtml(firstName(from))}</p>${CRLF}</body></html>${CRLF}`;
      const enc = forceEncoding ?? (rng.chance(0.7) ? 'quoted-printable' : 'base64');
      const encoded = enc === 'base64' ? encodeBase64Lines(Buffer.from(html, 'utf8')) : encodeQuotedPrintable(html);
      return {
        head: `Content-Type: text/html; charset=utf-8${CRLF}Content-Transfer-Encoding: ${enc}`,
        body: encoded + CRLF,
      };
    };
    const alternative = (): { head: string; body: string } => {
      const b = boundary();
      const plainEnc = rareVariant === 3 ? 'base64' : rareVariant === 2 ? 'quoted-printable' : rng.chance(0.2) ? 'base64' : undefined;
      const tp = textPart(textPlain, plainEnc);
      const hp = htmlPart(rareVariant === 3 ? 'base64' : rareVariant === 2 ? 'quoted-printable' : undefined);
      return {
        head: `Content-Type: multipart/alternative;${CRLF} boundary="${b}"`,
        body:
          `--${b}${CRLF}${tp.head}${CRLF}${CRLF}${tp.body}` +
          `--${b}${CRLF}${hp.head}${CRLF}${CRLF}${hp.body}` +
          `--${b}--${CRLF}`,
      };
    };
    const attachment = (): { head: string; body: string; filename: string } => {
      const [mime, ext] = rng.pick(ATTACHMENTS);
      const filename = `${rng.pick(ATTACHMENT_STEMS)}-${rng.range(2021, 2024)}-${rng.range(1, 999)}.${ext}`;
      const size = Math.min(60_000, Math.max(300, Math.round(Math.exp(Math.log(6000) + 0.9 * rng.normal()))));
      let data: Buffer;
      let encoded: string;
      // Random bytes: regenerate in the (astronomically unlikely) case that either search word shows up in
      // the bytes or in their base64 form, so hit counts stay exact for any server.
      for (;;) {
        data = rng.bytes(size);
        encoded = encodeBase64Lines(data);
        const a = data.toString('latin1').toLowerCase();
        const e = encoded.toLowerCase();
        if (!a.includes(this.common) && !a.includes(this.rare) && !e.includes(this.common) && !e.includes(this.rare)) break;
      }
      return {
        head:
          `Content-Type: ${mime}; name="${filename}"${CRLF}Content-Disposition: attachment; filename="${filename}"${CRLF}` +
          `Content-Transfer-Encoding: base64`,
        body: encoded + CRLF,
        filename,
      };
    };

    let top: { head: string; body: string };
    let htmlText = '';
    let attachmentName = '';
    if (kind === 'plain' || kind === 'plain-qp') {
      top = textPart(textPlain, kind === 'plain-qp' && !isAscii(textPlain) ? 'quoted-printable' : undefined);
    } else if (kind === 'alternative') {
      top = alternative();
      htmlText = paragraphs.join(' ');
    } else {
      const b = boundary();
      const first = kind === 'mixed-alternative' ? alternative() : textPart(textPlain);
      if (kind === 'mixed-alternative') htmlText = paragraphs.join(' ');
      const att = attachment();
      attachmentName = att.filename;
      top = {
        head: `Content-Type: multipart/mixed;${CRLF} boundary="${b}"`,
        body:
          `This is a multi-part message in MIME format.${CRLF}${CRLF}` +
          `--${b}${CRLF}${first.head}${CRLF}${CRLF}${first.body}` +
          `--${b}${CRLF}${att.head}${CRLF}${CRLF}${att.body}` +
          `--${b}--${CRLF}`,
      };
    }

    // Headers.
    const headers: string[] = [];
    headers.push(`Return-Path: <${from.address}>`);
    const hops = rng.range(1, 3);
    let hopTime = date.getTime() + hops * 2000;
    for (let h = 0; h < hops; h++) {
      const ip = `${rng.pick(['192.0.2', '198.51.100', '203.0.113'])}.${rng.range(1, 254)}`;
      const by = h === 0 ? `mx${rng.range(1, 4)}.${to[0]?.org ?? from.org}` : `relay${rng.range(1, 9)}.${from.org}`;
      headers.push(
        `Received: from ${h === hops - 1 ? 'smtp' : 'relay' + rng.range(1, 9)}.${from.org} (${from.org} [${ip}])${CRLF}` +
          `\tby ${by} (Postfix) with ESMTPS id ${rng.hex(10).toUpperCase()}${CRLF}` +
          `\tfor <${to[0]?.address ?? from.address}>; ${rfc5322Date(new Date(hopTime), zone, offset)}`,
      );
      hopTime -= 2000;
    }
    headers.push(`Message-ID: ${messageId}`);
    headers.push(`Date: ${rfc5322Date(date, zone, offset)}`);
    headers.push(`From: ${formatMailbox(from, rng)}`);
    headers.push(foldList('To', to.map((p) => formatMailbox(p, rng)), ', '));
    if (cc.length) headers.push(foldList('Cc', cc.map((p) => formatMailbox(p, rng)), ', '));
    headers.push(`Subject: ${encodeWord(subject, rng)}`);
    if (parent) {
      headers.push(`In-Reply-To: ${parent.messageId}`);
      headers.push(foldList('References', references, ' '));
    }
    headers.push('MIME-Version: 1.0');
    if (rng.chance(0.7)) headers.push(`X-Mailer: ${rng.pick(MAILERS)}`);
    headers.push(top.head);
    const raw = headers.join(CRLF) + CRLF + CRLF + top.body;

    // Expected search hits: the decoded, searchable text of the message.
    const searchable = [
      raw.slice(0, raw.indexOf(CRLF + CRLF)),
      subject,
      from.name,
      ...to.map((p) => p.name),
      ...cc.map((p) => p.name),
      textPlain,
      htmlText,
      attachmentName,
    ].join('\n');
    const hasCommon = this.commonRe.test(searchable);
    const hasRare = this.rareRe.test(searchable);

    const flags: string[] = [];
    if (i < this.n - 200 ? rng.chance(0.85) : rng.chance(0.2)) flags.push('\\Seen');
    if (rng.chance(0.04)) flags.push('\\Flagged');
    if (parent && rng.chance(0.3)) flags.push('\\Answered');

    this.metas.push({ messageId, references, rootSubject, from, quotable: hasRare ? '' : quotable, date });
    if (this.metas.length > 4000) this.metas.splice(0, 2000);

    return {
      raw: Buffer.from(raw, 'latin1'),
      flags,
      internalDate: imapDate(new Date(hopTime + hops * 2000 + 3000), zone, offset),
      hasCommon,
      hasRare,
      kind,
      isReply: parent !== undefined,
      fromHam: useHam,
    };
  }
}

function shuffle<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = items[i] as T;
    items[i] = items[j] as T;
    items[j] = t;
  }
  return items;
}

function asciiFold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ø/g, 'o')
    .replace(/Ø/g, 'O')
    .replace(/ł/g, 'l')
    .replace(/Ł/g, 'L')
    .replace(/å/g, 'a')
    .replace(/[^A-Za-z0-9.]/g, '');
}

/** Generates the whole corpus in memory and returns it with statistics. */
export function generateCorpus(opts: CorpusOptions = {}): Corpus {
  const t0 = performance.now();
  const gen = new CorpusGenerator(opts);
  const messages: CorpusMessage[] = [];
  const sizes: number[] = [];
  const kinds: Record<string, number> = {};
  let total = 0;
  let replies = 0;
  let ham = 0;
  let common = 0;
  let rare = 0;
  let ambiguous = 0;
  const common1 = (opts.commonWord ?? DEFAULTS.commonWord).toLowerCase();
  const rare1 = (opts.rareWord ?? DEFAULTS.rareWord).toLowerCase();
  for (let i = 0; i < gen.total; i++) {
    const m = gen.next();
    messages.push({ raw: m.raw, flags: m.flags, internalDate: m.internalDate, hasCommon: m.hasCommon, hasRare: m.hasRare });
    sizes.push(m.raw.length);
    total += m.raw.length;
    kinds[m.kind] = (kinds[m.kind] ?? 0) + 1;
    if (m.isReply) replies++;
    if (m.fromHam) ham++;
    if (m.hasCommon) common++;
    if (m.hasRare) rare++;
    if (!m.hasCommon || !m.hasRare) {
      const lower = m.raw.toString('latin1').toLowerCase();
      if ((!m.hasCommon && lower.includes(common1)) || (!m.hasRare && lower.includes(rare1))) ambiguous++;
    }
  }
  sizes.sort((a, b) => a - b);
  const q = (p: number): number => sizes[Math.min(sizes.length - 1, Math.floor(p * sizes.length))] ?? 0;
  const inRange = sizes.filter((s) => s >= 2000 && s <= 30_000).length;
  return {
    messages,
    stats: {
      messages: messages.length,
      seed: gen.seed,
      totalBytes: total,
      minBytes: sizes[0] ?? 0,
      maxBytes: sizes[sizes.length - 1] ?? 0,
      medianBytes: q(0.5),
      p05Bytes: q(0.05),
      p95Bytes: q(0.95),
      fractionBetween2And30KB: messages.length ? inRange / messages.length : 0,
      kinds,
      replies,
      hamBodies: ham,
      commonWord: common1,
      rareWord: rare1,
      expectedCommonHits: common,
      expectedRareHits: rare,
      ambiguousRaw: ambiguous,
      generationMs: Math.round(performance.now() - t0),
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// CLI: print statistics and optionally write the messages as .eml files for inspection.
// ---------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '1000' },
      seed: { type: 'string' },
      'common-word': { type: 'string' },
      'rare-word': { type: 'string' },
      'ham-dir': { type: 'string' },
      'ham-fraction': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log('usage: tsx bench/imap/corpus.ts [--messages N] [--seed S] [--common-word W] [--rare-word W] [--ham-dir DIR] [--ham-fraction F] [--out DIR]');
    return;
  }
  const corpus = generateCorpus({
    messages: Number(values.messages),
    seed: values.seed,
    commonWord: values['common-word'],
    rareWord: values['rare-word'],
    hamDir: values['ham-dir'],
    hamFraction: values['ham-fraction'] !== undefined ? Number(values['ham-fraction']) : undefined,
  });
  console.log(JSON.stringify(corpus.stats, null, 2));
  if (values.out) {
    mkdirSync(values.out, { recursive: true });
    corpus.messages.forEach((m, i) => writeFileSync(join(values.out as string, `${String(i + 1).padStart(6, '0')}.eml`), m.raw));
    console.log(`wrote ${corpus.messages.length} messages to ${values.out}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
