import type { Config } from '../config/index.ts';
import type { Account, Directory } from '../directory/types.ts';
import type { Logger } from '../log/logger.ts';
import type { AuthThrottle } from '../security/auth-throttle.ts';
import type { ConnectionLimiter } from '../security/connection-limits.ts';
import type { MailStore } from '../store/types.ts';
import type { MailboxView } from './mailbox-view.ts';
import type { ResponseOutput } from './output.ts';

/** Shared by all IMAP connections of one server. */
export interface ImapServices {
  config: Config;
  store: MailStore;
  directory: Directory;
  throttle: AuthThrottle;
  accountLimiter: ConnectionLimiter;
  /** Open connections per client address; a trusted proxy's connection is moved to its browser's address. */
  ipLimiter: ConnectionLimiter;
  /** The secret a trusted proxy (the webmail gateway) shows in ID to name its client's address; null: none. */
  proxySecret: string | null;
  log: Logger;
}

export type SessionStateName = 'not-authenticated' | 'authenticated' | 'selected' | 'logout';

/** Everything a command handler may read or change about its connection. */
export interface SessionState {
  state: SessionStateName;
  account: Account | null;
  view: MailboxView | null;
  /** ENABLEd extensions (CONDSTORE, QRESYNC, UTF8=ACCEPT, IMAP4REV2). */
  enabled: Set<string>;
  /** CONDSTORE is active: enabled, or a CONDSTORE-aware command was used (RFC 7162 §3.1). */
  condstore: boolean;
  secure: boolean;
  remoteAddress: string;
  /** SEARCHRES: UIDs saved by SEARCH RETURN (SAVE). */
  savedSearch: number[];
}

export interface Completion {
  status: 'OK' | 'NO' | 'BAD';
  code?: string;
  text: string;
  /** Runs after the tagged response is on the wire (STARTTLS, COMPRESS and LOGOUT switch the stream then). */
  after?: () => Promise<void> | void;
}

export const ok = (text: string, code?: string, after?: Completion['after']): Completion => ({ status: 'OK', text, code, after });
export const no = (text: string, code?: string): Completion => ({ status: 'NO', text, code });
export const bad = (text: string, code?: string): Completion => ({ status: 'BAD', text, code });

/** What a handler gets: shared services, its session, and the output stream. */
export interface CommandContext {
  services: ImapServices;
  session: SessionState;
  out: ResponseOutput;
  log: Logger;
  /** Tag of the command being run (ESEARCH responses quote it). */
  tag: string;
  /** Connection-level actions a few commands need. */
  connection: ConnectionControl;
}

export interface ConnectionControl {
  startTls(): Promise<void>;
  startCompression(): void;
  /** Read one raw line from the client (AUTHENTICATE continuation, IDLE's DONE); null when the connection closed. */
  readLine(): Promise<string | null>;
  /** Send a `+ text` continuation request. */
  continuation(text: string): Promise<void>;
  /** Call `listener` whenever the selected mailbox changes (used by IDLE); returns the unsubscribe function. */
  onMailboxChange(listener: () => void): () => void;
}
