import type { SessionState } from './context.ts';
import { flagList as wireFlagList, mailboxName as wireMailboxName } from './protocol/writer.ts';

/** Flags the client sees: stored flags plus \Recent when this session holds the message as recent. */
export function flagList(flags: readonly string[], recent: boolean): string {
  return wireFlagList(recent ? [...flags, '\\Recent'] : flags);
}

/** UTF-8 for clients that enabled UTF8=ACCEPT or IMAP4rev2, modified UTF-7 for the rest. */
export function utf8Names(session: SessionState): boolean {
  return session.enabled.has('UTF8=ACCEPT') || session.enabled.has('IMAP4REV2');
}

/** A mailbox name ready for the wire, in the encoding this session reads. */
export function mailboxName(name: string, session: SessionState): string {
  return wireMailboxName(name, utf8Names(session));
}

/** The permanent flags list of SELECT: system flags plus \* (clients may create keywords). */
export const PERMANENT_FLAGS = '(\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)';
export const MAILBOX_FLAGS = '(\\Answered \\Flagged \\Deleted \\Seen \\Draft)';
