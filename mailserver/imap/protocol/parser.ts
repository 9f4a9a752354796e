/**
 * IMAP command parser (server side): a framed command (reader.ts) to a typed command (types.ts).
 *
 * Recursive descent over the command's text lines, stepping into the literal that follows a `{n}` marker
 * wherever the grammar allows a string. Lines are handled as Latin-1 so that every byte is one character and
 * strings can be decoded with the right charset (UTF-8 by default, a SEARCH CHARSET when given) only where
 * strings occur. The parser never throws to its caller: failures come back as values carrying the tag, so the
 * session can reply `TAG BAD reason`.
 */
import { allIn, ASTRING_CHAR, ATOM_CHAR, isIn, LIST_CHAR, TAG_CHAR } from './chars.ts';
import { parseImapDate, parseImapDateTime } from './dates.ts';
import { decodeMutf7 } from './mutf7.ts';
import { parseSequenceSet } from './seqset.ts';
import type {
  AppendMessage,
  ByteRange,
  CommandPiece,
  FetchAtt,
  FramedCommand,
  ImapCommand,
  ListArgs,
  ListSelectOption,
  ParseOptions,
  ParseResult,
  QresyncParams,
  SearchKey,
  SearchReturnOption,
  SectionSpec,
  SeqRange,
  SequenceSet,
  SimpleFetchAtt,
  SortCriterion,
  SortKey,
  StatusItem,
} from './types.ts';

/** A parse failure on its way up the recursion; converted to a ParseFailure value at the boundary. */
class Fail {
  constructor(
    readonly message: string,
    readonly status: 'BAD' | 'NO' = 'BAD',
    readonly code: string | null = null,
  ) {}
}

function fail(message: string, status: 'BAD' | 'NO' = 'BAD', code: string | null = null): never {
  throw new Fail(message, status, code);
}

/** Client text inside an error message: short and printable, so a reply can never be split or bloated. */
function clip(s: string): string {
  const printable = s.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 40 ? `${printable.slice(0, 40)}...` : printable;
}

/** The error text of a failure caused by a parser bug rather than by the client (tests look for it). */
export const INTERNAL_ERROR = 'Internal error while parsing the command';

const MAX_NUMBER = 4294967295;
const MAX_DEPTH = 50;
const UTF8 = new TextDecoder('utf-8', { fatal: true });
const ASCII_ONLY = /^[\x00-\x7f]*$/;
const LITERAL_AT = /^(~?)\{([0-9]+)(\+?)\}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const OBJECT_ID = /^[A-Za-z0-9_-]{1,255}$/;
const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;

const UID_COMMANDS = new Set(['COPY', 'MOVE', 'FETCH', 'SEARCH', 'STORE', 'EXPUNGE', 'SORT', 'THREAD']);

const SYSTEM_FLAGS = new Map(
  ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft', '\\Recent'].map((f) => [f.toUpperCase(), f]),
);
const USE_ATTRS = new Map(
  ['\\All', '\\Archive', '\\Drafts', '\\Flagged', '\\Junk', '\\Sent', '\\Trash'].map((f) => [f.toUpperCase(), f]),
);
const STATUS_ITEMS = new Set<string>([
  'MESSAGES',
  'UIDNEXT',
  'UIDVALIDITY',
  'UNSEEN',
  'DELETED',
  'SIZE',
  'RECENT',
  'HIGHESTMODSEQ',
  'APPENDLIMIT',
  'MAILBOXID',
]);
const SEARCH_RETURN = new Set<string>(['MIN', 'MAX', 'ALL', 'COUNT', 'SAVE']);
const SORT_KEYS = new Set<string>(['ARRIVAL', 'CC', 'DATE', 'FROM', 'SIZE', 'SUBJECT', 'TO', 'DISPLAYFROM', 'DISPLAYTO']);
const SIMPLE_FETCH = new Set<string>([
  'UID',
  'FLAGS',
  'INTERNALDATE',
  'RFC822',
  'RFC822.HEADER',
  'RFC822.SIZE',
  'RFC822.TEXT',
  'ENVELOPE',
  'BODY',
  'BODYSTRUCTURE',
  'MODSEQ',
  'EMAILID',
  'THREADID',
  'SAVEDATE',
]);
const FETCH_MACROS: Record<string, SimpleFetchAtt[]> = {
  ALL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'],
  FAST: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'],
  FULL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY'],
};
const FLAG_KEYS: Record<string, [string, boolean]> = {
  ANSWERED: ['\\Answered', true],
  DELETED: ['\\Deleted', true],
  DRAFT: ['\\Draft', true],
  FLAGGED: ['\\Flagged', true],
  SEEN: ['\\Seen', true],
  RECENT: ['\\Recent', true],
  UNANSWERED: ['\\Answered', false],
  UNDELETED: ['\\Deleted', false],
  UNDRAFT: ['\\Draft', false],
  UNFLAGGED: ['\\Flagged', false],
  UNSEEN: ['\\Seen', false],
  OLD: ['\\Recent', false],
};
const TEXT_KEYS = new Set(['FROM', 'TO', 'CC', 'BCC', 'SUBJECT', 'BODY', 'TEXT']);
const DATE_KEYS = new Set([
  'BEFORE',
  'ON',
  'SINCE',
  'SENTBEFORE',
  'SENTON',
  'SENTSINCE',
  'SAVEDBEFORE',
  'SAVEDON',
  'SAVEDSINCE',
]);

type RawString = { quoted: string } | { literal: Buffer; binary: boolean };

class Parser {
  tag: string | null = null;
  name: string | null = null;
  private idx = 0;
  private s: string;
  private pos = 0;
  private depth = 0;
  private decoder: TextDecoder = UTF8;

  constructor(
    private readonly pieces: CommandPiece[],
    private readonly utf8Names: boolean,
  ) {
    const first = pieces[0];
    this.s = first !== undefined && first.type === 'text' ? first.data.toString('latin1') : '';
  }

  // ---- low level ---------------------------------------------------------------------------------------------

  private ch(): string {
    return this.s[this.pos] ?? '';
  }

  private atLineEnd(): boolean {
    return this.pos >= this.s.length;
  }

  private sp(next: string): void {
    if (this.atLineEnd()) fail(`Expected ${next}`);
    if (this.s[this.pos] !== ' ') fail(`Expected a space before ${next}, found "${clip(this.s.slice(this.pos, this.pos + 10))}"`);
    this.pos++;
  }

  private expect(c: string, what: string): void {
    if (this.s[this.pos] !== c) fail(`Expected ${what}`);
    this.pos++;
  }

  private end(): void {
    if (this.pos < this.s.length || this.idx < this.pieces.length - 1) {
      const rest = this.s.slice(this.pos).trimStart();
      const what = rest === '' ? 'trailing space' : `"${clip(rest)}"`;
      fail(`Unexpected ${what} after the arguments of ${this.name ?? 'the command'}`);
    }
  }

  /** Reads a run of characters from a class; fails when there is none. */
  private run(t: Uint8Array, what: string): string {
    const start = this.pos;
    while (this.pos < this.s.length && isIn(t, this.s.charCodeAt(this.pos))) this.pos++;
    if (this.pos === start) fail(`Expected ${what}`);
    return this.s.slice(start, this.pos);
  }

  private runRe(re: RegExp, what: string): string {
    const start = this.pos;
    while (this.pos < this.s.length && re.test(this.s[this.pos] ?? '')) this.pos++;
    if (this.pos === start) fail(`Expected ${what}`);
    return this.s.slice(start, this.pos);
  }

  private atom(what: string): string {
    return this.run(ATOM_CHAR, what);
  }

  private word(what: string): string {
    return this.atom(what).toUpperCase();
  }

  /** The upper-cased atom at the cursor, without consuming it ("" when none). */
  private peekWord(): string {
    let i = this.pos;
    while (i < this.s.length && isIn(ATOM_CHAR, this.s.charCodeAt(i))) i++;
    return this.s.slice(this.pos, i).toUpperCase();
  }

  private number(what: string, nonZero = false, max = MAX_NUMBER): number {
    const digits = this.runRe(/[0-9]/, what);
    if (nonZero && digits[0] === '0') fail(`Expected ${what} (a number greater than zero)`);
    const significant = digits.replace(/^0+(?=.)/, '');
    const n = significant.length > 20 ? Number.POSITIVE_INFINITY : Number(significant);
    if (n > max) fail(`Number ${clip(digits)} is too large for ${what}`);
    return n;
  }

  /**
   * number64 (up to 2^63 - 1). Values beyond 2^53 lose precision as JavaScript numbers, which is harmless:
   * this server never hands out mod-sequences or sizes that large, so comparisons against real values keep
   * their outcome.
   */
  private number64(what: string, nonZero = false): number {
    const start = this.pos;
    const n = this.number(what, nonZero, Number.POSITIVE_INFINITY);
    const digits = this.s.slice(start, this.pos).replace(/^0+(?=.)/, '');
    if (digits.length > 19 || (digits.length === 19 && digits > '9223372036854775807')) {
      fail(`Number ${clip(digits)} is too large for ${what}`);
    }
    return n;
  }

  private sequenceSet(what = 'sequence set'): SequenceSet {
    const text = this.runRe(/[0-9*:,$]/, what);
    const set = parseSequenceSet(text);
    if (set === null) fail(`Invalid sequence set "${clip(text)}"`);
    return set;
  }

  /** A UID set where "*" and "$" make no sense (QRESYNC known UIDs). */
  private knownSet(what: string): SeqRange[] {
    const set = this.sequenceSet(what);
    if (set === '$' || set.some((r) => r.from === '*' || r.to === '*')) fail(`"*" and "$" are not allowed in ${what}`);
    return set;
  }

  // ---- strings -----------------------------------------------------------------------------------------------

  private literal(): { data: Buffer; binary: boolean } {
    const m = LITERAL_AT.exec(this.s.slice(this.pos));
    if (m === null) fail('Invalid literal: "{n}" must end the line');
    const data = this.pieces[this.idx + 1];
    const after = this.pieces[this.idx + 2];
    if (data === undefined || data.type !== 'literal' || after === undefined || after.type !== 'text') {
      fail('Literal data missing');
    }
    if (data.data.length !== Number(m[2])) fail('Literal length does not match its data');
    this.idx += 2;
    this.s = after.data.toString('latin1');
    this.pos = 0;
    return { data: data.data, binary: m[1] === '~' };
  }

  private quotedRaw(): string {
    this.pos++;
    let out = '';
    let start = this.pos;
    for (;;) {
      if (this.pos >= this.s.length) fail('Unterminated quoted string');
      const c = this.s.charCodeAt(this.pos);
      if (c === 0x22) break;
      if (c === 0x5c) {
        const next = this.s[this.pos + 1];
        if (next !== '"' && next !== '\\') fail('Invalid escape in quoted string (only \\" and \\\\ are allowed)');
        out += this.s.slice(start, this.pos) + next;
        this.pos += 2;
        start = this.pos;
        continue;
      }
      if (c === 0 || c === 0x0d || c === 0x0a) fail('Quoted strings may not contain NUL, CR or LF');
      this.pos++;
    }
    out += this.s.slice(start, this.pos);
    this.pos++;
    return out;
  }

  private stringRaw(what: string, allowBinary = false): RawString {
    const c = this.ch();
    if (c === '"') return { quoted: this.quotedRaw() };
    if (c === '{' || (c === '~' && allowBinary)) {
      const lit = this.literal();
      return { literal: lit.data, binary: lit.binary };
    }
    return fail(`Expected ${what}`);
  }

  private decode(raw: RawString): string {
    try {
      if ('quoted' in raw) {
        if (this.decoder === UTF8 && ASCII_ONLY.test(raw.quoted)) return raw.quoted;
        return this.decoder.decode(Buffer.from(raw.quoted, 'latin1'));
      }
      if (raw.literal.includes(0)) fail('NUL is not allowed in a string');
      return this.decoder.decode(raw.literal);
    } catch (e) {
      if (e instanceof Fail) throw e;
      return fail(this.decoder === UTF8 ? 'String is not valid UTF-8' : `String is not valid ${this.decoder.encoding}`);
    }
  }

  private isStringStart(): boolean {
    const c = this.ch();
    return c === '"' || c === '{';
  }

  private string(what: string): string {
    return this.decode(this.stringRaw(what));
  }

  private astring(what: string): string {
    if (this.isStringStart()) return this.string(what);
    return this.run(ASTRING_CHAR, what);
  }

  private nstring(what: string): string | null {
    if (!this.isStringStart() && this.peekWord() === 'NIL') {
      this.pos += 3;
      return null;
    }
    return this.string(what);
  }

  private name_(raw: string): string {
    if (this.utf8Names) return raw;
    const r = decodeMutf7(raw);
    if (!r.ok) fail(`Mailbox name is not valid modified UTF-7: ${r.error}`);
    return r.value;
  }

  private mailbox(what = 'a mailbox name'): string {
    const name = this.name_(this.astring(what));
    return name.toUpperCase() === 'INBOX' ? 'INBOX' : name;
  }

  private listMailbox(what: string): string {
    if (this.isStringStart()) return this.name_(this.string(what));
    return this.name_(this.run(LIST_CHAR, what));
  }

  private flag(allowRecent: boolean): string {
    if (this.ch() === '\\') {
      this.pos++;
      const name = `\\${this.atom('flag name after "\\"')}`;
      const system = SYSTEM_FLAGS.get(name.toUpperCase());
      if (system === '\\Recent' && !allowRecent) fail('\\Recent cannot be set by a client');
      return system ?? name;
    }
    return this.atom('flag');
  }

  private flagList(allowRecent: boolean): string[] {
    this.expect('(', 'flag list');
    const flags: string[] = [];
    if (this.ch() !== ')') {
      flags.push(this.flag(allowRecent));
      while (this.ch() === ' ') {
        this.pos++;
        flags.push(this.flag(allowRecent));
      }
    }
    this.expect(')', '")" to end the flag list');
    return flags;
  }

  /** "(" item *(SP item) ")" with items read by `item`; an empty list only when allowed. */
  private parenList<T>(what: string, item: () => T, allowEmpty: boolean): T[] {
    this.expect('(', `"(" to start ${what}`);
    const out: T[] = [];
    if (this.ch() === ')') {
      if (!allowEmpty) fail(`Empty ${what}`);
    } else {
      out.push(item());
      while (this.ch() === ' ') {
        this.pos++;
        out.push(item());
      }
    }
    this.expect(')', `")" to end ${what}`);
    return out;
  }

  private statusItem = (): StatusItem => {
    const w = this.word('status item');
    if (!STATUS_ITEMS.has(w)) fail(`Unknown STATUS item ${clip(w)}`);
    return w as StatusItem;
  };

  // ---- commands ----------------------------------------------------------------------------------------------

  command(): ImapCommand {
    const tagText = this.run(TAG_CHAR, 'a tag');
    if (!this.atLineEnd() && this.ch() !== ' ') fail('Invalid tag');
    this.tag = tagText;
    const tag = tagText;
    this.sp('a command name');
    let name = this.word('a command name');
    let uid = false;
    if (name === 'UID') {
      uid = true;
      this.sp('a command after UID');
      name = this.word('a command after UID');
      if (!UID_COMMANDS.has(name)) fail(`UID ${clip(name)} is not a command`);
    }
    this.name = name;
    switch (name) {
      case 'CAPABILITY':
      case 'NOOP':
      case 'LOGOUT':
      case 'STARTTLS':
      case 'NAMESPACE':
      case 'IDLE':
      case 'CHECK':
      case 'CLOSE':
      case 'UNSELECT':
        this.end();
        return { tag, name, uid: false, args: {} };
      case 'AUTHENTICATE': {
        this.sp('a SASL mechanism');
        const mechanism = this.word('a SASL mechanism');
        let initialResponse: string | null = null;
        if (!this.atLineEnd()) {
          this.sp('the initial response');
          initialResponse = this.runRe(/[A-Za-z0-9+/=]/, 'the initial response');
          if (initialResponse !== '=' && !BASE64.test(initialResponse)) fail('Initial response is not valid base64');
        }
        this.end();
        return { tag, name, uid: false, args: { mechanism, initialResponse } };
      }
      case 'LOGIN': {
        this.sp('a user name');
        const username = this.astring('a user name');
        this.sp('a password');
        const password = this.astring('a password');
        this.end();
        return { tag, name, uid: false, args: { username, password } };
      }
      case 'ENABLE': {
        const capabilities: string[] = [];
        do {
          this.sp('a capability');
          capabilities.push(this.word('a capability'));
        } while (!this.atLineEnd());
        this.end();
        return { tag, name, uid: false, args: { capabilities } };
      }
      case 'ID':
        return { tag, name, uid: false, args: { params: this.idParams() } };
      case 'SELECT':
      case 'EXAMINE':
        return { tag, name, uid: false, args: this.selectArgs() };
      case 'CREATE':
        return { tag, name, uid: false, args: this.createArgs() };
      case 'DELETE':
      case 'SUBSCRIBE':
      case 'UNSUBSCRIBE':
      case 'GETQUOTAROOT': {
        this.sp('a mailbox name');
        const mailbox = this.mailbox();
        this.end();
        return { tag, name, uid: false, args: { mailbox } };
      }
      case 'RENAME': {
        this.sp('a mailbox name');
        const from = this.mailbox();
        this.sp('the new mailbox name');
        const to = this.mailbox('the new mailbox name');
        this.end();
        return { tag, name, uid: false, args: { from, to } };
      }
      case 'LIST':
        return { tag, name, uid: false, args: this.listArgs() };
      case 'LSUB': {
        this.sp('a reference name');
        const reference = this.name_(this.astring('a reference name'));
        this.sp('a mailbox pattern');
        const pattern = this.listMailbox('a mailbox pattern');
        this.end();
        return { tag, name, uid: false, args: { reference, pattern } };
      }
      case 'STATUS': {
        this.sp('a mailbox name');
        const mailbox = this.mailbox();
        this.sp('status items');
        const items = this.parenList('the status item list', this.statusItem, false);
        this.end();
        return { tag, name, uid: false, args: { mailbox, items } };
      }
      case 'APPEND':
        return { tag, name, uid: false, args: this.appendArgs() };
      case 'EXPUNGE': {
        let set: SequenceSet | null = null;
        if (uid) {
          this.sp('a UID set');
          set = this.sequenceSet('a UID set');
        }
        this.end();
        return { tag, name, uid, args: { set } };
      }
      case 'SEARCH':
        return { tag, name, uid, args: this.searchArgs() };
      case 'FETCH':
        return { tag, name, uid, args: this.fetchArgs(uid) };
      case 'STORE':
        return { tag, name, uid, args: this.storeArgs() };
      case 'COPY':
      case 'MOVE': {
        this.sp('a sequence set');
        const set = this.sequenceSet();
        this.sp('a mailbox name');
        const mailbox = this.mailbox();
        this.end();
        return { tag, name, uid, args: { set, mailbox } };
      }
      case 'SORT':
        return { tag, name, uid, args: this.sortArgs() };
      case 'THREAD':
        return { tag, name, uid, args: this.threadArgs() };
      case 'GETQUOTA': {
        this.sp('a quota root');
        const root = this.astring('a quota root');
        this.end();
        return { tag, name, uid: false, args: { root } };
      }
      case 'SETQUOTA': {
        this.sp('a quota root');
        const root = this.astring('a quota root');
        this.sp('resource limits');
        const limits = this.parenList(
          'the resource limit list',
          () => {
            const resource = this.word('a resource name');
            this.sp('a resource limit');
            return { resource, limit: this.number64('a resource limit') };
          },
          true,
        );
        this.end();
        return { tag, name, uid: false, args: { root, limits } };
      }
      case 'COMPRESS': {
        this.sp('a compression mechanism');
        const mechanism = this.word('a compression mechanism');
        this.end();
        return { tag, name, uid: false, args: { mechanism } };
      }
      default:
        this.name = null;
        return fail(`Unknown command ${clip(name)}`);
    }
  }

  private idParams(): Array<{ field: string; value: string | null }> | null {
    this.sp('ID parameters');
    if (this.peekWord() === 'NIL') {
      this.pos += 3;
      this.end();
      return null;
    }
    const params = this.parenList(
      'the ID parameter list',
      () => {
        const field = this.string('an ID field name');
        this.sp('an ID value');
        const value = this.nstring('an ID value');
        // RFC 2971 §3.3 limits, which also bound what one client can make us keep.
        if (Buffer.byteLength(field) > 30) fail('ID field names may not exceed 30 bytes');
        if (value !== null && Buffer.byteLength(value) > 1024) fail('ID values may not exceed 1024 bytes');
        return { field, value };
      },
      true,
    );
    if (params.length > 30) fail('At most 30 ID field-value pairs are allowed');
    this.end();
    return params;
  }

  private selectArgs(): { mailbox: string; condstore: boolean; qresync: QresyncParams | null } {
    this.sp('a mailbox name');
    const mailbox = this.mailbox();
    let condstore = false;
    let qresync: QresyncParams | null = null;
    if (!this.atLineEnd()) {
      this.sp('select parameters');
      this.parenList(
        'the select parameter list',
        () => {
          const w = this.word('a select parameter');
          if (w === 'CONDSTORE') {
            condstore = true;
          } else if (w === 'QRESYNC') {
            if (qresync !== null) fail('QRESYNC given twice');
            this.sp('QRESYNC parameters');
            qresync = this.qresyncParams();
          } else {
            fail(`Unknown select parameter ${clip(w)}`);
          }
        },
        false,
      );
    }
    this.end();
    return { mailbox, condstore, qresync };
  }

  private qresyncParams(): QresyncParams {
    this.expect('(', '"(" to start the QRESYNC parameters');
    const uidValidity = this.number('a UIDVALIDITY', true);
    this.sp('a mod-sequence');
    const modSeq = this.number64('a mod-sequence', true);
    let knownUids: SeqRange[] | null = null;
    let seqMatch: QresyncParams['seqMatch'] = null;
    if (this.ch() === ' ') {
      this.pos++;
      if (this.ch() !== '(') {
        knownUids = this.knownSet('known UIDs');
        if (this.ch() === ' ') this.pos++;
      }
      if (this.ch() === '(') {
        this.pos++;
        const seqs = this.knownSet('known sequence numbers');
        this.sp('known UIDs');
        const uids = this.knownSet('known UIDs');
        this.expect(')', '")" to end the sequence match data');
        seqMatch = { seqs, uids };
      }
    }
    this.expect(')', '")" to end the QRESYNC parameters');
    return { uidValidity, modSeq, knownUids, seqMatch };
  }

  private createArgs(): { mailbox: string; specialUse: string[] } {
    this.sp('a mailbox name');
    const mailbox = this.mailbox();
    const specialUse: string[] = [];
    if (!this.atLineEnd()) {
      this.sp('CREATE parameters');
      this.parenList(
        'the CREATE parameter list',
        () => {
          const w = this.word('a CREATE parameter');
          if (w !== 'USE') fail(`Unknown CREATE parameter ${clip(w)}`);
          this.sp('special-use attributes');
          const attrs = this.parenList(
            'the USE attribute list',
            () => {
              this.expect('\\', 'a special-use attribute');
              const a = `\\${this.atom('a special-use attribute')}`;
              return USE_ATTRS.get(a.toUpperCase()) ?? a;
            },
            true,
          );
          specialUse.push(...attrs);
        },
        false,
      );
    }
    this.end();
    return { mailbox, specialUse };
  }

  private listArgs(): ListArgs {
    this.sp('a reference name');
    let extended = false;
    const select: ListSelectOption[] = [];
    if (this.ch() === '(') {
      extended = true;
      this.parenList(
        'the LIST selection options',
        () => {
          const w = this.word('a selection option');
          if (w !== 'SUBSCRIBED' && w !== 'REMOTE' && w !== 'RECURSIVEMATCH' && w !== 'SPECIAL-USE') {
            fail(`Unknown LIST selection option ${clip(w)}`);
          }
          if (!select.includes(w)) select.push(w);
        },
        true,
      );
      if (select.includes('RECURSIVEMATCH') && select.length === 1) {
        fail('RECURSIVEMATCH needs another selection option');
      }
      this.sp('a reference name');
    }
    const reference = this.name_(this.astring('a reference name'));
    this.sp('a mailbox pattern');
    let patterns: string[];
    if (this.ch() === '(') {
      extended = true;
      patterns = this.parenList('the pattern list', () => this.listMailbox('a mailbox pattern'), false);
    } else {
      patterns = [this.listMailbox('a mailbox pattern')];
    }
    const returnOptions = { subscribed: false, children: false, specialUse: false, status: null as StatusItem[] | null };
    if (!this.atLineEnd()) {
      this.sp('RETURN');
      if (this.word('RETURN') !== 'RETURN') fail('Expected RETURN');
      extended = true;
      this.sp('return options');
      this.parenList(
        'the LIST return options',
        () => {
          const w = this.word('a return option');
          if (w === 'SUBSCRIBED') returnOptions.subscribed = true;
          else if (w === 'CHILDREN') returnOptions.children = true;
          else if (w === 'SPECIAL-USE') returnOptions.specialUse = true;
          else if (w === 'STATUS') {
            this.sp('status items');
            returnOptions.status = this.parenList('the status item list', this.statusItem, false);
          } else fail(`Unknown LIST return option ${clip(w)}`);
        },
        true,
      );
    }
    this.end();
    return { reference, patterns, select, returnOptions, extended };
  }

  private appendArgs(): { mailbox: string; messages: AppendMessage[] } {
    this.sp('a mailbox name');
    const mailbox = this.mailbox();
    const messages: AppendMessage[] = [];
    do {
      this.sp('a message literal');
      let flags: string[] = [];
      let date: number | null = null;
      if (this.ch() === '(') {
        flags = this.flagList(false);
        this.sp('a message literal');
      }
      if (this.ch() === '"') {
        const text = this.quotedRaw();
        const parsed = parseImapDateTime(text);
        if (parsed === null) fail(`Invalid date-time "${clip(text)}"`);
        date = parsed;
        this.sp('a message literal');
      }
      let utf8 = false;
      if (this.peekWord() === 'UTF8') {
        utf8 = true;
        this.pos += 4;
        this.sp('"(" and a literal8');
        this.expect('(', '"(" before the UTF8 literal');
        if (this.ch() !== '~') fail('UTF8 APPEND data must be a literal8 (~{n})');
      } else if (this.ch() !== '{' && this.ch() !== '~') {
        fail('Expected a message literal');
      }
      const lit = this.literal();
      if (utf8) this.expect(')', '")" after the UTF8 literal');
      messages.push({ flags, date, data: lit.data, binary: lit.binary, utf8 });
    } while (!this.atLineEnd());
    this.end();
    return { mailbox, messages };
  }

  // ---- SEARCH, SORT, THREAD ----------------------------------------------------------------------------------

  private setCharset(name: string): void {
    const upper = name.toUpperCase();
    if (upper === 'UTF-8' || upper === 'US-ASCII' || upper === 'UTF8') {
      this.decoder = UTF8;
      return;
    }
    try {
      this.decoder = new TextDecoder(name, { fatal: true });
    } catch {
      fail(`Unsupported charset ${clip(name)}`, 'NO', 'BADCHARSET (UTF-8 US-ASCII)');
    }
  }

  private returnOptions(): SearchReturnOption[] {
    this.pos += 'RETURN'.length;
    this.sp('return options');
    const out: SearchReturnOption[] = [];
    this.parenList(
      'the RETURN options',
      () => {
        const w = this.word('a return option');
        if (!SEARCH_RETURN.has(w)) fail(`Unknown RETURN option ${clip(w)}`);
        if (!out.includes(w as SearchReturnOption)) out.push(w as SearchReturnOption);
      },
      true,
    );
    return out;
  }

  private searchArgs(): { charset: string | null; returnOptions: SearchReturnOption[] | null; criteria: SearchKey } {
    this.sp('search criteria');
    let returnOptions: SearchReturnOption[] | null = null;
    if (this.peekWord() === 'RETURN') {
      returnOptions = this.returnOptions();
      this.sp('search criteria');
    }
    let charset: string | null = null;
    if (this.peekWord() === 'CHARSET') {
      this.pos += 'CHARSET'.length;
      this.sp('a charset');
      charset = this.astring('a charset').toUpperCase();
      this.setCharset(charset);
      this.sp('search criteria');
    }
    const criteria = this.searchKeys();
    return { charset, returnOptions, criteria };
  }

  /** search-key *(SP search-key) up to the end of the command, as one key. */
  private searchKeys(): SearchKey {
    const keys = [this.searchKey()];
    while (!this.atLineEnd()) {
      this.sp('a search key');
      keys.push(this.searchKey());
    }
    this.end();
    return keys.length === 1 ? (keys[0] as SearchKey) : { key: 'AND', keys };
  }

  private searchKey(): SearchKey {
    if (++this.depth > MAX_DEPTH) fail('Search criteria are nested too deeply');
    try {
      return this.searchKeyInner();
    } finally {
      this.depth--;
    }
  }

  private searchDate(): number {
    const text = this.ch() === '"' ? this.quotedRaw() : this.runRe(/[0-9A-Za-z-]/, 'a date');
    const d = parseImapDate(text);
    if (d === null) fail(`Invalid date "${clip(text)}"`);
    return d;
  }

  private searchKeyInner(): SearchKey {
    const c = this.ch();
    if (c === '(') {
      this.pos++;
      const keys = [this.searchKey()];
      while (this.ch() === ' ') {
        this.pos++;
        keys.push(this.searchKey());
      }
      this.expect(')', '")" to end the search key group');
      return keys.length === 1 ? (keys[0] as SearchKey) : { key: 'AND', keys };
    }
    if ((c >= '0' && c <= '9') || c === '*' || c === '$') return { key: 'SEQ', set: this.sequenceSet() };
    if (c === '') fail('Expected a search key');
    const w = this.word('a search key');
    const flag = FLAG_KEYS[w];
    if (flag !== undefined) return { key: 'FLAG', flag: flag[0], set: flag[1] };
    if (TEXT_KEYS.has(w)) {
      this.sp(`a string after ${w}`);
      return { key: w as 'FROM', value: this.astringIn(`a string after ${w}`) };
    }
    if (DATE_KEYS.has(w)) {
      this.sp(`a date after ${w}`);
      return { key: w as 'BEFORE', date: this.searchDate() };
    }
    switch (w) {
      case 'ALL':
        return { key: 'ALL' };
      case 'NEW':
        return {
          key: 'AND',
          keys: [
            { key: 'FLAG', flag: '\\Recent', set: true },
            { key: 'FLAG', flag: '\\Seen', set: false },
          ],
        };
      case 'KEYWORD':
      case 'UNKEYWORD': {
        this.sp('a keyword');
        const flag = this.flag(true);
        return { key: 'FLAG', flag, set: w === 'KEYWORD' };
      }
      case 'HEADER': {
        this.sp('a header field name');
        const field = this.astring('a header field name');
        if (!FIELD_NAME.test(field)) fail(`Invalid header field name "${clip(field)}"`);
        this.sp('a string to search for');
        return { key: 'HEADER', field, value: this.astringIn('a string to search for') };
      }
      case 'LARGER':
      case 'SMALLER':
        this.sp('a size');
        return { key: w, size: this.number64('a size') };
      case 'UID':
        this.sp('a UID set');
        return { key: 'UID', set: this.sequenceSet('a UID set') };
      case 'NOT':
        this.sp('a search key after NOT');
        return { key: 'NOT', arg: this.searchKey() };
      case 'FUZZY':
        this.sp('a search key after FUZZY');
        return { key: 'FUZZY', arg: this.searchKey() };
      case 'OR': {
        this.sp('a search key after OR');
        const left = this.searchKey();
        this.sp('a second search key after OR');
        return { key: 'OR', left, right: this.searchKey() };
      }
      case 'MODSEQ': {
        this.sp('a mod-sequence');
        let entry: { name: string; type: 'priv' | 'shared' | 'all' } | null = null;
        if (this.ch() === '"') {
          const name = this.decode({ quoted: this.quotedRaw() });
          this.sp('an entry type');
          const type = this.word('an entry type').toLowerCase();
          if (type !== 'priv' && type !== 'shared' && type !== 'all') fail(`Invalid entry type ${clip(type)}`);
          entry = { name, type };
          this.sp('a mod-sequence');
        }
        return { key: 'MODSEQ', modseq: this.number64('a mod-sequence'), entry };
      }
      case 'EMAILID':
      case 'THREADID': {
        this.sp('an object id');
        const id = this.astring('an object id');
        if (!OBJECT_ID.test(id)) fail(`Invalid object id "${clip(id)}"`);
        return { key: w, id };
      }
      case 'SAVEDATESUPPORTED':
        return { key: 'SAVEDATESUPPORTED' };
      case 'OLDER':
      case 'YOUNGER':
        this.sp('a number of seconds');
        return { key: w, seconds: this.number('a number of seconds', true) };
      default:
        return fail(`Unknown search key ${clip(w)}`);
    }
  }

  /** An astring decoded with the SEARCH charset. */
  private astringIn(what: string): string {
    if (this.isStringStart()) return this.decode(this.stringRaw(what));
    return this.decode({ quoted: this.run(ASTRING_CHAR, what) });
  }

  private sortArgs(): { criteria: SortCriterion[]; charset: string; returnOptions: SearchReturnOption[] | null; search: SearchKey } {
    this.sp('sort criteria');
    let returnOptions: SearchReturnOption[] | null = null;
    if (this.peekWord() === 'RETURN') {
      returnOptions = this.returnOptions();
      this.sp('sort criteria');
    }
    const criteria = this.parenList(
      'the sort criteria',
      (): SortCriterion => {
        let w = this.word('a sort key');
        let reverse = false;
        if (w === 'REVERSE') {
          reverse = true;
          this.sp('a sort key after REVERSE');
          w = this.word('a sort key after REVERSE');
        }
        if (!SORT_KEYS.has(w)) fail(`Unknown sort key ${clip(w)}`);
        return { key: w as SortKey, reverse };
      },
      false,
    );
    this.sp('a charset');
    const charset = this.astring('a charset').toUpperCase();
    this.setCharset(charset);
    this.sp('search criteria');
    return { criteria, charset, returnOptions, search: this.searchKeys() };
  }

  private threadArgs(): { algorithm: 'REFERENCES' | 'ORDEREDSUBJECT'; charset: string; search: SearchKey } {
    this.sp('a threading algorithm');
    const algorithm = this.word('a threading algorithm');
    if (algorithm !== 'REFERENCES' && algorithm !== 'ORDEREDSUBJECT') {
      fail(`Unsupported threading algorithm ${clip(algorithm)}`);
    }
    this.sp('a charset');
    const charset = this.astring('a charset').toUpperCase();
    this.setCharset(charset);
    this.sp('search criteria');
    return { algorithm, charset, search: this.searchKeys() };
  }

  // ---- FETCH and STORE ---------------------------------------------------------------------------------------

  private fetchArgs(uid: boolean): { set: SequenceSet; items: FetchAtt[]; changedSince: number | null; vanished: boolean } {
    this.sp('a sequence set');
    const set = this.sequenceSet();
    this.sp('fetch attributes');
    let items: FetchAtt[];
    if (this.ch() === '(') {
      items = this.parenList('the fetch attribute list', () => this.fetchAtt(), false);
    } else {
      const macro = FETCH_MACROS[this.peekWord()];
      if (macro !== undefined) {
        this.pos += this.peekWord().length;
        items = macro.map((kind) => ({ kind }));
      } else {
        items = [this.fetchAtt()];
      }
    }
    let changedSince: number | null = null;
    let vanished = false;
    if (!this.atLineEnd()) {
      this.sp('fetch modifiers');
      this.parenList(
        'the fetch modifiers',
        () => {
          const w = this.word('a fetch modifier');
          if (w === 'CHANGEDSINCE') {
            this.sp('a mod-sequence');
            changedSince = this.number64('a mod-sequence');
          } else if (w === 'VANISHED') {
            vanished = true;
          } else {
            fail(`Unknown FETCH modifier ${clip(w)}`);
          }
        },
        false,
      );
      if (vanished && !uid) fail('VANISHED is only allowed with UID FETCH');
      if (vanished && changedSince === null) fail('VANISHED requires CHANGEDSINCE');
    }
    this.end();
    return { set, items, changedSince, vanished };
  }

  private partial(): ByteRange | null {
    if (this.ch() !== '<') return null;
    this.pos++;
    const offset = this.number64('a partial offset');
    this.expect('.', '"." in the partial range');
    const length = this.number64('a partial length', true);
    this.expect('>', '">" to end the partial range');
    return { offset, length };
  }

  private sectionParts(): { part: number[]; dot: boolean } {
    const part: number[] = [];
    let dot = false;
    while (this.ch() >= '0' && this.ch() <= '9') {
      part.push(this.number('a section part number', true));
      dot = this.ch() === '.';
      if (!dot) break;
      this.pos++;
    }
    return { part, dot };
  }

  private section(): SectionSpec {
    this.expect('[', '"[" to start the section');
    const { part, dot } = this.sectionParts();
    if (this.ch() === ']' && !dot) {
      this.pos++;
      return { part, kind: 'ALL' };
    }
    const w = this.runRe(/[A-Za-z.]/, 'a section name').toUpperCase();
    let spec: SectionSpec;
    if (w === 'HEADER' || w === 'TEXT') spec = { part, kind: w };
    else if (w === 'MIME') {
      if (part.length === 0) fail('MIME needs a part number');
      spec = { part, kind: 'MIME' };
    } else if (w === 'HEADER.FIELDS' || w === 'HEADER.FIELDS.NOT') {
      this.sp('a header field list');
      const fields = this.parenList(
        'the header field list',
        () => {
          const f = this.astring('a header field name');
          if (!FIELD_NAME.test(f)) fail(`Invalid header field name "${clip(f)}"`);
          return f;
        },
        false,
      );
      spec = { part, kind: w, fields };
    } else {
      return fail(`Unknown section ${clip(w)}`);
    }
    this.expect(']', '"]" to end the section');
    return spec;
  }

  private binarySection(): number[] {
    this.expect('[', '"[" to start the section');
    const { part, dot } = this.sectionParts();
    if (dot) fail('BINARY sections are part numbers only');
    this.expect(']', '"]" to end the section');
    return part;
  }

  private fetchAtt(): FetchAtt {
    const name = this.runRe(/[A-Za-z0-9.]/, 'a fetch attribute').toUpperCase();
    switch (name) {
      case 'BODY':
      case 'BODY.PEEK': {
        if (this.ch() !== '[') {
          if (name === 'BODY.PEEK') fail('BODY.PEEK needs a section');
          return { kind: 'BODY' };
        }
        const section = this.section();
        return { kind: 'BODY[]', section, peek: name === 'BODY.PEEK', partial: this.partial() };
      }
      case 'BINARY':
      case 'BINARY.PEEK': {
        const part = this.binarySection();
        return { kind: 'BINARY[]', part, peek: name === 'BINARY.PEEK', partial: this.partial() };
      }
      case 'BINARY.SIZE':
        return { kind: 'BINARY.SIZE', part: this.binarySection() };
      case 'PREVIEW': {
        const m = /^ \(LAZY\)/i.exec(this.s.slice(this.pos, this.pos + 7));
        if (m !== null) this.pos += m[0].length;
        return { kind: 'PREVIEW', lazy: m !== null };
      }
      default:
        if (SIMPLE_FETCH.has(name)) return { kind: name as SimpleFetchAtt };
        if (name in FETCH_MACROS) fail(`${name} is a macro and cannot be combined with other attributes`);
        return fail(`Unknown FETCH attribute ${clip(name)}`);
    }
  }

  private storeArgs(): {
    set: SequenceSet;
    action: 'set' | 'add' | 'remove';
    silent: boolean;
    flags: string[];
    unchangedSince: number | null;
  } {
    this.sp('a sequence set');
    const set = this.sequenceSet();
    this.sp('a store action');
    let unchangedSince: number | null = null;
    if (this.ch() === '(') {
      this.parenList(
        'the store modifiers',
        () => {
          const w = this.word('a store modifier');
          if (w !== 'UNCHANGEDSINCE') fail(`Unknown STORE modifier ${clip(w)}`);
          this.sp('a mod-sequence');
          unchangedSince = this.number64('a mod-sequence');
        },
        false,
      );
      this.sp('a store action');
    }
    const op = this.runRe(/[A-Za-z.+-]/, 'a store action').toUpperCase();
    const m = /^([+-]?)FLAGS(\.SILENT)?$/.exec(op);
    if (m === null) fail(`Unknown STORE action ${clip(op)}`);
    this.sp('flags');
    let flags: string[];
    if (this.ch() === '(') {
      flags = this.flagList(false);
    } else {
      flags = [this.flag(false)];
      while (this.ch() === ' ') {
        this.pos++;
        flags.push(this.flag(false));
      }
    }
    this.end();
    const action = m[1] === '+' ? 'add' : m[1] === '-' ? 'remove' : 'set';
    return { set, action, silent: m[2] !== undefined, flags, unchangedSince };
  }
}

function failure(p: Parser | null, tag: string | null, f: Fail): ParseResult {
  return { ok: false, tag: p?.tag ?? tag, name: p?.name ?? null, status: f.status, code: f.code, error: f.message };
}

/** Parses one framed command. Never throws. */
export function parseCommand(framed: FramedCommand, options: ParseOptions = {}): ParseResult {
  const first = framed.pieces[0];
  if (first === undefined || first.type !== 'text') return failure(null, framed.tag, new Fail('Empty command'));
  const p = new Parser(framed.pieces, options.utf8 === true);
  try {
    return { ok: true, command: p.command() };
  } catch (e) {
    if (e instanceof Fail) return failure(p, framed.tag, e);
    if (e instanceof RangeError) return failure(p, framed.tag, new Fail('Command too complex'));
    // A bug, not a client error; still a value, so one bad command cannot take the server down.
    return failure(p, framed.tag, new Fail(INTERNAL_ERROR));
  }
}

/** Whether a search program uses a key anywhere in it (e.g. MODSEQ, which changes the SEARCH response). */
export function searchUses(key: SearchKey, name: SearchKey['key']): boolean {
  if (key.key === name) return true;
  switch (key.key) {
    case 'NOT':
    case 'FUZZY':
      return searchUses(key.arg, name);
    case 'OR':
      return searchUses(key.left, name) || searchUses(key.right, name);
    case 'AND':
      return key.keys.some((k) => searchUses(k, name));
    default:
      return false;
  }
}

/** Whether a string is a valid IMAP atom (useful to callers that format or validate keywords). */
export function isAtom(s: string): boolean {
  return allIn(ATOM_CHAR, s);
}
