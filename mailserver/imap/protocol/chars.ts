/** Character classes of the IMAP grammar (RFC 9051 §9), as 128-entry lookup tables. */

function table(pred: (c: number) => boolean): Uint8Array {
  const t = new Uint8Array(128);
  for (let c = 0; c < 128; c++) t[c] = pred(c) ? 1 : 0;
  return t;
}

const ATOM_SPECIALS = new Set([...'(){ %*"\\]'].map((c) => c.charCodeAt(0)));

/** ATOM-CHAR: any CHAR except atom-specials ( ) { SP CTL % * " \ ]. */
export const ATOM_CHAR = table((c) => c > 0x1f && c < 0x7f && !ATOM_SPECIALS.has(c));
/** ASTRING-CHAR: ATOM-CHAR or "]". */
export const ASTRING_CHAR = table((c) => ATOM_CHAR[c] === 1 || c === 0x5d);
/** Tag characters: ASTRING-CHAR except "+". */
export const TAG_CHAR = table((c) => ASTRING_CHAR[c] === 1 && c !== 0x2b);
/** list-char: ATOM-CHAR, list-wildcards or resp-specials. */
export const LIST_CHAR = table((c) => ATOM_CHAR[c] === 1 || c === 0x25 || c === 0x2a || c === 0x5d);

export function isIn(t: Uint8Array, c: number): boolean {
  return c < 128 && t[c] === 1;
}

/** Whether every character of s belongs to the class (and s is not empty). */
export function allIn(t: Uint8Array, s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isIn(t, s.charCodeAt(i))) return false;
  return true;
}
