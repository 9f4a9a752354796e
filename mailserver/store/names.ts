import { MAILBOX_DELIMITER } from './types.ts';

/** Mailbox-name rules every backend shares. */

export type NameCheck = { ok: true; name: string } | { ok: false; reason: string };

/** INBOX in any case is INBOX; names are kept in Unicode NFC; empty levels and control characters are refused. */
export function normalizeMailboxName(input: string): NameCheck {
  let name = input.normalize('NFC');
  if (name.toUpperCase() === 'INBOX') return { ok: true, name: 'INBOX' };
  if (name.toUpperCase().startsWith('INBOX' + MAILBOX_DELIMITER)) name = 'INBOX' + name.slice(5);
  if (name.endsWith(MAILBOX_DELIMITER)) name = name.slice(0, -1);
  if (name === '') return { ok: false, reason: 'Mailbox name is empty' };
  if (name.length > 512) return { ok: false, reason: 'Mailbox name is too long' };
  if (/[\x00-\x1f\x7f]/.test(name)) return { ok: false, reason: 'Mailbox name contains control characters' };
  if (/[*%]/.test(name)) return { ok: false, reason: 'Mailbox name must not contain * or %' };
  const levels = name.split(MAILBOX_DELIMITER);
  if (levels.some((l) => l === '')) return { ok: false, reason: 'Mailbox name has an empty hierarchy level' };
  if (levels.some((l) => l === '.' || l === '..')) return { ok: false, reason: 'Mailbox name must not contain . or .. levels' };
  return { ok: true, name };
}

/** "a/b/c" → ["a", "a/b"] */
export function parentNames(name: string): string[] {
  const levels = name.split(MAILBOX_DELIMITER);
  return levels.slice(1).map((_, i) => levels.slice(0, i + 1).join(MAILBOX_DELIMITER));
}
