/** Flag handling shared by every backend: canonical system flags, case-insensitive keywords. */

export const SYSTEM_FLAGS = ['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft'] as const;
const CANONICAL = new Map(SYSTEM_FLAGS.map((f) => [f.toLowerCase(), f as string]));

/** Canonical spelling for system flags; keywords keep the case they were first given. \Recent is never stored. */
export function normalizeFlags(flags: readonly string[]): string[] {
  const seen = new Map<string, string>();
  for (const flag of flags) {
    const key = flag.toLowerCase();
    if (key === '\\recent' || seen.has(key)) continue;
    seen.set(key, CANONICAL.get(key) ?? flag);
  }
  return [...seen.values()];
}

export function applyFlagOperation(current: readonly string[], op: 'add' | 'remove' | 'set', flags: readonly string[]): string[] {
  if (op === 'set') return normalizeFlags(flags);
  if (op === 'add') return normalizeFlags([...current, ...flags]);
  const drop = new Set(flags.map((f) => f.toLowerCase()));
  return current.filter((f) => !drop.has(f.toLowerCase()));
}

export function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a.map((f) => f.toLowerCase()));
  return b.every((f) => set.has(f.toLowerCase()));
}


/** Stored form: space-separated (flags and keywords are atoms, so they hold no spaces). */
export const encodeFlags = (flags: readonly string[]): string => flags.join(' ');
export const decodeFlags = (text: string): string[] => (text ? text.split(' ') : []);
