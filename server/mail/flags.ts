import type { MessageFlags } from '../../shared/messages.ts';

const SYSTEM = new Set(['\\Seen', '\\Flagged', '\\Answered', '\\Draft', '\\Deleted', '\\Recent', '$Forwarded']);

export function toMessageFlags(flags: Set<string> | undefined): MessageFlags {
  const set = flags ?? new Set<string>();
  return {
    seen: set.has('\\Seen'),
    flagged: set.has('\\Flagged'),
    answered: set.has('\\Answered'),
    draft: set.has('\\Draft'),
    forwarded: set.has('$Forwarded'),
    keywords: [...set].filter((f) => !SYSTEM.has(f)),
  };
}
