import type { MimePart } from '../mime/types.ts';
import type { SearchNode } from './search.ts';

/**
 * The store's backend-neutral surface. The embedded backend is SQLite; a PostgreSQL backend implements the
 * same interface. Every method is async so a networked backend fits; every write resolves only after the
 * change is durable (fsync / commit) — the IMAP layer acknowledges on that promise.
 */

export type SpecialUse = '\\Drafts' | '\\Sent' | '\\Junk' | '\\Trash' | '\\Archive' | '\\All' | '\\Flagged';
export const SPECIAL_USES: readonly SpecialUse[] = ['\\Drafts', '\\Sent', '\\Junk', '\\Trash', '\\Archive', '\\All', '\\Flagged'];

/** The mailboxes every account starts with; INBOX has no special use. */
export const DEFAULT_MAILBOXES: ReadonlyArray<{ name: string; specialUse: SpecialUse | null }> = [
  { name: 'INBOX', specialUse: null },
  { name: 'Drafts', specialUse: '\\Drafts' },
  { name: 'Sent', specialUse: '\\Sent' },
  { name: 'Junk', specialUse: '\\Junk' },
  { name: 'Trash', specialUse: '\\Trash' },
  { name: 'Archive', specialUse: '\\Archive' },
];

/** Hierarchy separator of mailbox names as stored (UTF-8 names). */
export const MAILBOX_DELIMITER = '/';

export interface Mailbox {
  id: number;
  accountId: string;
  /** UTF-8 name with '/' as hierarchy delimiter; INBOX is always spelled "INBOX". */
  name: string;
  specialUse: SpecialUse | null;
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
  /** RFC 8474 MAILBOXID. */
  objectId: string;
}

export interface MailboxCounts {
  messages: number;
  unseen: number;
  deleted: number;
  /** Sum of RFC822.SIZE of all messages (STATUS=SIZE). */
  size: number;
  /** Messages above the mailbox's recent watermark. */
  recent: number;
}

export interface MessageMeta {
  uid: number;
  modseq: number;
  /** System flags (\Seen …) and keywords, as stored (case preserved). */
  flags: string[];
  internalDate: number;
  saveDate: number;
  size: number;
  emailId: string;
  threadId: string;
}

/** What a FETCH row may carry besides the metadata; heavy columns only when asked. */
export interface FetchOptions {
  envelope?: boolean;
  bodyStructure?: boolean;
  preview?: boolean;
}

export interface FetchRow extends MessageMeta {
  contentId: number;
  /** Pre-serialised IMAP ENVELOPE, BODYSTRUCTURE and BODY, made once at delivery. */
  envelope?: string;
  bodyStructure?: string;
  body?: string;
  preview?: string;
}

export interface NewMessage {
  raw: Buffer;
  flags?: string[];
  internalDate?: number;
}

export interface DeliveryTarget {
  accountId: string;
  mailboxId: number;
  /** Flags for this copy (default: the message's). */
  flags?: string[];
}

export type DeliveryOutcome = { ok: true; uidValidity: number; uid: number } | { ok: false; error: unknown };

export interface AppendResult {
  uidValidity: number;
  uids: number[];
}

export type FlagOperation = 'add' | 'remove' | 'set';

export interface FlagChange {
  uid: number;
  modseq: number;
  flags: string[];
}

export interface StoreFlagsResult {
  changed: FlagChange[];
  /** UNCHANGEDSINCE failures (RFC 7162 MODIFIED). */
  modified: number[];
}

export interface CopyResult {
  uidValidity: number;
  sourceUids: number[];
  destinationUids: number[];
}

/** What changed in a mailbox since a session last looked. */
export interface MailboxChanges {
  highestModseq: number;
  /** UIDs that appeared above `knownUidNext - 1`, ascending. */
  added: number[];
  /** UIDs expunged with a modseq above the given one, ascending. */
  expunged: number[];
  /** Messages (UID below the known UIDNEXT) whose flags changed above the given modseq. */
  changed: FlagChange[];
}

export interface QuotaUsage {
  usedBytes: number;
  limitBytes: number;
  messages: number;
}

/** Per-message keys for SORT and THREAD (RFC 5256, RFC 5957). */
export interface SortKeys {
  uid: number;
  internalDate: number;
  sentDate: number | null;
  size: number;
  baseSubject: string;
  sortFrom: string;
  sortTo: string;
  sortCc: string;
  displayFrom: string;
  displayTo: string;
  messageId: string | null;
  references: string[];
}

export type StoreErrorCode = 'NONEXISTENT' | 'ALREADYEXISTS' | 'OVERQUOTA' | 'CANNOT' | 'TOOBIG' | 'INUSE';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A mailbox changed; sessions that have it selected should sync. */
export interface MailboxEvent {
  accountId: string;
  mailboxId: number;
}

export interface MailStore {
  /** Create the account's storage and default mailboxes if missing. */
  ensureAccount(accountId: string, quotaBytes: number): Promise<void>;
  setQuota(accountId: string, quotaBytes: number): Promise<void>;
  deleteAccount(accountId: string): Promise<void>;
  quota(accountId: string): Promise<QuotaUsage>;

  listMailboxes(accountId: string): Promise<Mailbox[]>;
  getMailbox(accountId: string, name: string): Promise<Mailbox | null>;
  createMailbox(accountId: string, name: string, specialUse?: SpecialUse | null): Promise<Mailbox>;
  deleteMailbox(accountId: string, name: string): Promise<void>;
  /** RENAME, including children; renaming INBOX moves its messages into a new mailbox and leaves INBOX empty. */
  renameMailbox(accountId: string, from: string, to: string): Promise<void>;
  subscriptions(accountId: string): Promise<string[]>;
  setSubscribed(accountId: string, name: string, subscribed: boolean): Promise<void>;

  counts(mailboxId: number): Promise<MailboxCounts>;
  /** All UIDs in ascending order: the sequence-number map of a freshly selected mailbox. */
  uids(mailboxId: number): Promise<number[]>;
  /** First UID above the recent watermark, and moves the watermark to UIDNEXT (first read-write SELECT takes \Recent). */
  claimRecent(mailboxId: number): Promise<number>;
  /** Lowest UID without \\Seen (SELECT's [UNSEEN n] for IMAP4rev1 clients). */
  firstUnseen(mailboxId: number): Promise<number | null>;

  append(accountId: string, mailboxId: number, messages: NewMessage[]): Promise<AppendResult>;
  /**
   * One message into several accounts' mailboxes (SMTP delivery): parsed once, its bytes stored once and
   * shared, each copy with its own UID, flags and quota check. One commit; outcomes in target order.
   */
  deliver(targets: DeliveryTarget[], message: NewMessage): Promise<DeliveryOutcome[]>;
  /** Rows for the given UIDs (ascending), in batches. */
  fetch(mailboxId: number, uids: number[], options: FetchOptions): AsyncIterable<FetchRow[]>;
  raw(contentId: number): Promise<Buffer>;
  /** The MIME tree with byte offsets, as parsed at delivery (for BODY[section] and BINARY). */
  mimeTree(contentId: number): Promise<MimePart>;
  storeFlags(
    mailboxId: number,
    uids: number[],
    operation: FlagOperation,
    flags: string[],
    unchangedSince?: number,
  ): Promise<StoreFlagsResult>;
  /** Remove messages flagged \Deleted (only those in `uids` when given); returns the expunged UIDs. */
  expunge(mailboxId: number, uids?: number[]): Promise<number[]>;
  copy(sourceMailboxId: number, uids: number[], destinationMailboxId: number): Promise<CopyResult>;
  move(sourceMailboxId: number, uids: number[], destinationMailboxId: number): Promise<CopyResult>;
  search(mailboxId: number, query: SearchNode): Promise<number[]>;
  sortKeys(mailboxId: number, uids: number[]): Promise<SortKeys[]>;
  changesSince(mailboxId: number, modseq: number, knownUidNext: number): Promise<MailboxChanges>;
  /** UIDs expunged after `modseq` (QRESYNC VANISHED (EARLIER)). */
  vanishedSince(mailboxId: number, modseq: number): Promise<number[]>;

  /** Be told when a mailbox of the account changes (delivery, another session, another node). */
  watch(accountId: string, listener: (event: MailboxEvent) => void): () => void;
  close(): Promise<void>;
}
