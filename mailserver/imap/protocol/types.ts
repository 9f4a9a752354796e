/**
 * Types of the IMAP protocol layer: what the reader frames off the wire and what the parser makes of it.
 * Nothing here knows about sessions or storage.
 */
import type { SectionSpec } from '../../mime/types.ts';

export type { SectionSpec };

// ---------------------------------------------------------------------------------------------------------------
// Framing (reader.ts)

/**
 * One piece of a framed command. A command is a sequence of text lines with literals between them:
 * a text piece that announces a literal ends with its `{n}`, `{n+}` or `~{n}` marker and is followed by
 * exactly one literal piece; the last piece is always text.
 */
export type CommandPiece =
  | { type: 'text'; data: Buffer }
  | { type: 'literal'; data: Buffer; binary: boolean; sync: boolean };

export interface FramedCommand {
  /** The tag as recovered by the reader (null when the line does not start with a valid tag). */
  tag: string | null;
  pieces: CommandPiece[];
  /** Bytes the command took on the wire, line ends and literal markers included. */
  bytes: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Values

export type SeqNumber = number | '*';
export interface SeqRange {
  from: SeqNumber;
  to: SeqNumber;
}
/** A sequence set as written by the client; `'$'` is the saved search result (RFC 5182). */
export type SequenceSet = SeqRange[] | '$';

/** A `<offset.length>` partial fetch. */
export interface ByteRange {
  offset: number;
  length: number;
}

export type StatusItem =
  | 'MESSAGES'
  | 'UIDNEXT'
  | 'UIDVALIDITY'
  | 'UNSEEN'
  | 'DELETED'
  | 'SIZE'
  | 'RECENT'
  | 'HIGHESTMODSEQ'
  | 'APPENDLIMIT'
  | 'MAILBOXID';

// ---------------------------------------------------------------------------------------------------------------
// SEARCH

export type SearchDateKey =
  | 'BEFORE'
  | 'ON'
  | 'SINCE'
  | 'SENTBEFORE'
  | 'SENTON'
  | 'SENTSINCE'
  | 'SAVEDBEFORE'
  | 'SAVEDON'
  | 'SAVEDSINCE';

export type SearchTextKey = 'FROM' | 'TO' | 'CC' | 'BCC' | 'SUBJECT' | 'BODY' | 'TEXT';

/**
 * A search key, normalised so an evaluator needs few cases:
 * ANSWERED/DELETED/DRAFT/FLAGGED/SEEN/RECENT/KEYWORD and their UN- forms become FLAG tests,
 * NEW becomes AND(\Recent, NOT \Seen), OLD becomes NOT \Recent, a bare sequence set becomes SEQ,
 * a parenthesised list becomes AND. Dates are the UTC midnight starting the given day, in epoch ms.
 */
export type SearchKey =
  | { key: 'ALL' }
  | { key: 'FLAG'; flag: string; set: boolean }
  | { key: SearchTextKey; value: string }
  | { key: 'HEADER'; field: string; value: string }
  | { key: SearchDateKey; date: number }
  | { key: 'LARGER' | 'SMALLER'; size: number }
  | { key: 'UID' | 'SEQ'; set: SequenceSet }
  | { key: 'NOT'; arg: SearchKey }
  | { key: 'OR'; left: SearchKey; right: SearchKey }
  | { key: 'AND'; keys: SearchKey[] }
  | { key: 'MODSEQ'; modseq: number; entry: { name: string; type: 'priv' | 'shared' | 'all' } | null }
  | { key: 'EMAILID' | 'THREADID'; id: string }
  | { key: 'SAVEDATESUPPORTED' }
  | { key: 'OLDER' | 'YOUNGER'; seconds: number }
  | { key: 'FUZZY'; arg: SearchKey };

export type SearchReturnOption = 'MIN' | 'MAX' | 'ALL' | 'COUNT' | 'SAVE';

// ---------------------------------------------------------------------------------------------------------------
// FETCH

export type SimpleFetchAtt =
  | 'UID'
  | 'FLAGS'
  | 'INTERNALDATE'
  | 'RFC822'
  | 'RFC822.HEADER'
  | 'RFC822.SIZE'
  | 'RFC822.TEXT'
  | 'ENVELOPE'
  | 'BODY'
  | 'BODYSTRUCTURE'
  | 'MODSEQ'
  | 'EMAILID'
  | 'THREADID'
  | 'SAVEDATE';

export type FetchAtt =
  | { kind: SimpleFetchAtt }
  /** BODY[section]<partial> and BODY.PEEK[section]<partial>. */
  | { kind: 'BODY[]'; section: SectionSpec; peek: boolean; partial: ByteRange | null }
  /** BINARY[part]<partial> and BINARY.PEEK[part]<partial> (RFC 3516). */
  | { kind: 'BINARY[]'; part: number[]; peek: boolean; partial: ByteRange | null }
  | { kind: 'BINARY.SIZE'; part: number[] }
  /** RFC 8970. */
  | { kind: 'PREVIEW'; lazy: boolean };

// ---------------------------------------------------------------------------------------------------------------
// Commands

export type NoArgs = Record<string, never>;

export interface AuthenticateArgs {
  /** Upper-case SASL mechanism name. */
  mechanism: string;
  /** SASL-IR initial response as sent: base64 text, or "=" for an empty response; null when absent. */
  initialResponse: string | null;
}

export interface LoginArgs {
  username: string;
  password: string;
}

export interface EnableArgs {
  /** Upper-case capability names. */
  capabilities: string[];
}

export interface IdArgs {
  /** null for `ID NIL`. */
  params: Array<{ field: string; value: string | null }> | null;
}

export interface QresyncParams {
  uidValidity: number;
  modSeq: number;
  knownUids: SeqRange[] | null;
  /** Message sequence numbers and the UIDs the client believes they have. */
  seqMatch: { seqs: SeqRange[]; uids: SeqRange[] } | null;
}

export interface SelectArgs {
  mailbox: string;
  condstore: boolean;
  qresync: QresyncParams | null;
}

export interface MailboxArgs {
  mailbox: string;
}

export interface CreateArgs {
  mailbox: string;
  /** RFC 6154 USE attributes, e.g. ["\\Drafts"]; known ones in canonical case. */
  specialUse: string[];
}

export interface RenameArgs {
  from: string;
  to: string;
}

export type ListSelectOption = 'SUBSCRIBED' | 'REMOTE' | 'RECURSIVEMATCH' | 'SPECIAL-USE';

export interface ListArgs {
  reference: string;
  patterns: string[];
  select: ListSelectOption[];
  returnOptions: {
    subscribed: boolean;
    children: boolean;
    specialUse: boolean;
    /** RFC 5819 LIST-STATUS items, null when not asked for. */
    status: StatusItem[] | null;
  };
  /** True when any LIST-EXTENDED syntax was used (selection options, pattern list or RETURN). */
  extended: boolean;
}

export interface LsubArgs {
  reference: string;
  pattern: string;
}

export interface StatusArgs {
  mailbox: string;
  items: StatusItem[];
}

export interface AppendMessage {
  flags: string[];
  /** INTERNALDATE to set, epoch ms; null for "now". */
  date: number | null;
  /** The message bytes, exactly as sent. */
  data: Buffer;
  /** Sent as literal8 (`~{n}`, RFC 3516): may contain NUL and binary content. */
  binary: boolean;
  /** Sent in the RFC 6855 `UTF8 (~{n})` form. */
  utf8: boolean;
}

export interface AppendArgs {
  mailbox: string;
  messages: AppendMessage[];
}

export interface ExpungeArgs {
  /** The UID set of UID EXPUNGE; null for plain EXPUNGE. */
  set: SequenceSet | null;
}

export interface SearchArgs {
  /** Upper-case charset name, null when not given. */
  charset: string | null;
  /** ESEARCH RETURN options; null when RETURN was absent, [] for `RETURN ()` (which means ALL). */
  returnOptions: SearchReturnOption[] | null;
  /** The search program; several top-level keys are combined into one AND. */
  criteria: SearchKey;
}

export interface FetchArgs {
  set: SequenceSet;
  /** Attributes in request order, macros (ALL, FAST, FULL) expanded. */
  items: FetchAtt[];
  /** CHANGEDSINCE modifier (RFC 7162); null when absent. */
  changedSince: number | null;
  /** VANISHED modifier (UID FETCH only, requires CHANGEDSINCE). */
  vanished: boolean;
}

export interface StoreArgs {
  set: SequenceSet;
  /** FLAGS replaces, +FLAGS adds, -FLAGS removes. */
  action: 'set' | 'add' | 'remove';
  silent: boolean;
  flags: string[];
  /** UNCHANGEDSINCE modifier (RFC 7162); null when absent. */
  unchangedSince: number | null;
}

export interface CopyArgs {
  set: SequenceSet;
  mailbox: string;
}

export type SortKey = 'ARRIVAL' | 'CC' | 'DATE' | 'FROM' | 'SIZE' | 'SUBJECT' | 'TO' | 'DISPLAYFROM' | 'DISPLAYTO';

export interface SortCriterion {
  key: SortKey;
  reverse: boolean;
}

export interface SortArgs {
  criteria: SortCriterion[];
  charset: string;
  /** ESORT RETURN options (RFC 5267); null when absent. */
  returnOptions: SearchReturnOption[] | null;
  search: SearchKey;
}

export interface ThreadArgs {
  algorithm: 'REFERENCES' | 'ORDEREDSUBJECT';
  charset: string;
  search: SearchKey;
}

export interface QuotaRootArgs {
  root: string;
}

export interface SetQuotaArgs {
  root: string;
  /** Upper-case resource names with their limits. */
  limits: Array<{ resource: string; limit: number }>;
}

export interface CompressArgs {
  /** Upper-case algorithm name; only DEFLATE exists (RFC 4978). */
  mechanism: string;
}

interface Cmd<N extends string, A> {
  tag: string;
  /** Upper-case command name, without the UID prefix. */
  name: N;
  /** True for the UID form (UID FETCH, UID STORE, UID COPY, UID MOVE, UID SEARCH, UID EXPUNGE, UID SORT, UID THREAD). */
  uid: boolean;
  args: A;
}

export type ImapCommand =
  | Cmd<'CAPABILITY' | 'NOOP' | 'LOGOUT' | 'STARTTLS' | 'NAMESPACE' | 'IDLE' | 'CHECK' | 'CLOSE' | 'UNSELECT', NoArgs>
  | Cmd<'AUTHENTICATE', AuthenticateArgs>
  | Cmd<'LOGIN', LoginArgs>
  | Cmd<'ENABLE', EnableArgs>
  | Cmd<'ID', IdArgs>
  | Cmd<'SELECT' | 'EXAMINE', SelectArgs>
  | Cmd<'CREATE', CreateArgs>
  | Cmd<'DELETE' | 'SUBSCRIBE' | 'UNSUBSCRIBE' | 'GETQUOTAROOT', MailboxArgs>
  | Cmd<'RENAME', RenameArgs>
  | Cmd<'LIST', ListArgs>
  | Cmd<'LSUB', LsubArgs>
  | Cmd<'STATUS', StatusArgs>
  | Cmd<'APPEND', AppendArgs>
  | Cmd<'EXPUNGE', ExpungeArgs>
  | Cmd<'SEARCH', SearchArgs>
  | Cmd<'FETCH', FetchArgs>
  | Cmd<'STORE', StoreArgs>
  | Cmd<'COPY' | 'MOVE', CopyArgs>
  | Cmd<'SORT', SortArgs>
  | Cmd<'THREAD', ThreadArgs>
  | Cmd<'GETQUOTA', QuotaRootArgs>
  | Cmd<'SETQUOTA', SetQuotaArgs>
  | Cmd<'COMPRESS', CompressArgs>;

export type CommandName = ImapCommand['name'];

/** Why a command could not be parsed. Reply `${tag ?? '*'} ${status} ${code ? `[${code}] ` : ''}${error}`. */
export interface ParseFailure {
  ok: false;
  tag: string | null;
  /** The command name when it was recognised (upper-case), else null. */
  name: string | null;
  status: 'BAD' | 'NO';
  /** Response code such as BADCHARSET, without brackets; null when none applies. */
  code: string | null;
  /** Human-readable reason, e.g. "Unknown search key FOO". */
  error: string;
}

export type ParseResult = { ok: true; command: ImapCommand } | ParseFailure;

export interface ParseOptions {
  /**
   * UTF8=ACCEPT is enabled or the session speaks IMAP4rev2: mailbox names are UTF-8 as sent.
   * Otherwise they are modified UTF-7 and are decoded (invalid mUTF-7 is a syntax error).
   */
  utf8?: boolean;
}
