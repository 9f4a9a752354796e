import { MAILBOX_DELIMITER } from '../store/types.ts';

/**
 * LIST pattern matching (RFC 9051 §6.3.9): the reference and pattern are joined, `*` matches anything,
 * `%` anything but the hierarchy delimiter. INBOX matches case-insensitively.
 */
export function compilePattern(reference: string, pattern: string): RegExp {
  let canonical = pattern;
  if (reference && !pattern.startsWith(MAILBOX_DELIMITER)) {
    canonical = reference.endsWith(MAILBOX_DELIMITER) || reference === '' ? reference + pattern : reference + MAILBOX_DELIMITER + pattern;
  }
  let source = '';
  for (const ch of canonical) {
    if (ch === '*') source += '.*';
    else if (ch === '%') source += `[^${escapeRegex(MAILBOX_DELIMITER)}]*`;
    else source += escapeRegex(ch);
  }
  // "INBOX" and "INBOX/…" are matched case-insensitively in their first level only.
  const inbox = /^inbox(?=$|\/)/i.exec(canonical);
  if (inbox) source = 'INBOX' + source.slice(5);
  return new RegExp(`^${source}$`, 's');
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Every name plus the hierarchy levels above it that do not exist themselves (shown \NonExistent). */
export function withImpliedParents(names: readonly string[]): Map<string, boolean> {
  const all = new Map<string, boolean>();
  for (const name of names) all.set(name, true);
  for (const name of names) {
    const levels = name.split(MAILBOX_DELIMITER);
    for (let i = 1; i < levels.length; i++) {
      const parent = levels.slice(0, i).join(MAILBOX_DELIMITER);
      if (!all.has(parent)) all.set(parent, false);
    }
  }
  return all;
}

export function hasChildren(name: string, names: Iterable<string>): boolean {
  const prefix = name + MAILBOX_DELIMITER;
  for (const other of names) if (other.startsWith(prefix)) return true;
  return false;
}
