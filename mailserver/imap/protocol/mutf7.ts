/**
 * Modified UTF-7 for mailbox names (RFC 3501 §5.1.3).
 *
 * Printable US-ASCII except "&" stands for itself, "&" is written "&-", and every other run of characters is
 * UTF-16BE in a base64 variant ("," instead of "/", no padding) between "&" and "-".
 *
 * The decoder accepts only the one canonical spelling of each name. Two spellings of the same name would let
 * a client create look-alike mailboxes or dodge a name check, so every alternative form is an error:
 * encoded printable ASCII, two adjacent encoded runs, leftover or non-zero padding bits, broken surrogates.
 */

export type Mutf7Result = { ok: true; value: string } | { ok: false; error: string };

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,';
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

const AMP = 0x26;

function isDirect(unit: number): boolean {
  return unit >= 0x20 && unit <= 0x7e;
}

function encodeRun(units: number[]): string {
  let out = '&';
  let bits = 0;
  let nbits = 0;
  for (const unit of units) {
    bits = (bits << 16) | unit;
    nbits += 16;
    while (nbits >= 6) {
      nbits -= 6;
      out += ALPHABET[(bits >> nbits) & 0x3f];
    }
    bits &= (1 << nbits) - 1;
  }
  if (nbits > 0) out += ALPHABET[(bits << (6 - nbits)) & 0x3f];
  return out + '-';
}

/**
 * Encodes a mailbox name. Never fails: a lone surrogate (which cannot come from UTF-8 input) is replaced by
 * U+FFFD so the output always decodes.
 */
export function encodeMutf7(name: string): string {
  let out = '';
  let run: number[] = [];
  for (let i = 0; i < name.length; i++) {
    let unit = name.charCodeAt(i);
    if (isDirect(unit)) {
      if (run.length > 0) {
        out += encodeRun(run);
        run = [];
      }
      out += unit === AMP ? '&-' : name[i];
      continue;
    }
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = i + 1 < name.length ? name.charCodeAt(i + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) {
        run.push(unit, next);
        i++;
        continue;
      }
      unit = 0xfffd;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      unit = 0xfffd;
    }
    run.push(unit);
  }
  if (run.length > 0) out += encodeRun(run);
  return out;
}

function fail(error: string): Mutf7Result {
  return { ok: false, error };
}

/** Decodes one base64 run (the text between "&" and "-"), appending the characters to `out`. */
function decodeRun(body: string, out: string[]): string | null {
  let bits = 0;
  let nbits = 0;
  const units: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    const v = c < 128 ? (DECODE[c] ?? -1) : -1;
    if (v < 0) return `Invalid character "${body[i]}" in modified BASE64`;
    bits = ((bits << 6) | v) & 0xffffff;
    nbits += 6;
    if (nbits >= 16) {
      nbits -= 16;
      units.push((bits >> nbits) & 0xffff);
    }
  }
  // A complete encoding leaves fewer than 6 bits over, all of them zero; anything else is a truncated
  // character or a non-minimal encoding.
  if (nbits >= 6) return 'Modified BASE64 run has a superfluous character';
  if ((bits & ((1 << nbits) - 1)) !== 0) return 'Modified BASE64 run has non-zero padding bits';
  for (let i = 0; i < units.length; i++) {
    const u = units[i] ?? 0;
    if (isDirect(u)) return 'Printable US-ASCII must not be encoded in modified BASE64';
    if (u >= 0xd800 && u <= 0xdbff) {
      const next = units[i + 1];
      if (next === undefined || next < 0xdc00 || next > 0xdfff) return 'Unpaired UTF-16 surrogate';
      i++;
    } else if (u >= 0xdc00 && u <= 0xdfff) {
      return 'Unpaired UTF-16 surrogate';
    }
  }
  // Chunked so a long name cannot exceed the argument limit of fromCharCode.
  for (let i = 0; i < units.length; i += 4096) out.push(String.fromCharCode(...units.slice(i, i + 4096)));
  return null;
}

/** Decodes a modified UTF-7 mailbox name, rejecting every non-canonical form. */
export function decodeMutf7(encoded: string): Mutf7Result {
  const out: string[] = [];
  let i = 0;
  let afterRun = -1;
  let plainStart = 0;
  while (i < encoded.length) {
    const c = encoded.charCodeAt(i);
    if (!isDirect(c)) return fail('Mailbox name contains a character outside printable US-ASCII');
    if (c !== AMP) {
      i++;
      continue;
    }
    if (i > plainStart) out.push(encoded.slice(plainStart, i));
    const end = encoded.indexOf('-', i + 1);
    if (end < 0) return fail('Unterminated "&" sequence in mailbox name');
    if (end === i + 1) {
      out.push('&');
    } else {
      if (i === afterRun) return fail('Adjacent modified BASE64 runs must be merged');
      const err = decodeRun(encoded.slice(i + 1, end), out);
      if (err !== null) return fail(err);
      afterRun = end + 1;
    }
    i = end + 1;
    plainStart = i;
  }
  if (encoded.length > plainStart) out.push(encoded.slice(plainStart));
  return { ok: true, value: out.join('') };
}
