import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { TlsaLookup, TlsaRecord } from '../dns/dnssec.ts';

/**
 * DANE for outbound SMTP (RFC 7672): which TLSA records apply, and whether a server's certificate chain
 * matches them. Pure functions; the TLSA lookup is `lookupTlsa` in `dns/dnssec.ts`, the connection policy
 * is the delivery code's.
 *
 * The rule (RFC 7672 2.2 and 3.1), given the TLSA RRset of `_25._tcp.<MX host>` (see `danePolicy`):
 *  - not authenticated (DNSSEC "insecure" or no validating resolver): ignore DANE entirely, deliver as
 *    without it (opportunistic TLS);
 *  - authenticated, no records (secure NXDOMAIN/NODATA): no DANE either;
 *  - authenticated, with usable records: TLS is mandatory (no STARTTLS, or a failed handshake, means defer,
 *    never fall back to plaintext) and the chain must match at least one usable record (`matchesTlsa`);
 *    a mismatch defers the message too;
 *  - authenticated, records present but none usable: TLS is still mandatory, but unauthenticated (any
 *    certificate is accepted);
 *  - the lookup failed (DnsError TEMPORARY): defer; do not fall back.
 *
 * Usable means DANE-TA(2) or DANE-EE(3) with a known selector and matching type. PKIX-TA(0) and PKIX-EE(1)
 * are unusable for SMTP (RFC 7672 3.1.3): MX hosts have no agreed set of public CAs to chain to.
 */

export const TLSA_USAGE = { PKIX_TA: 0, PKIX_EE: 1, DANE_TA: 2, DANE_EE: 3 } as const;
export const TLSA_SELECTOR = { CERT: 0, SPKI: 1 } as const;
export const TLSA_MATCHING = { FULL: 0, SHA256: 1, SHA512: 2 } as const;

/** The association data length each matching type requires; 0 means "any non-empty". */
const DIGEST_LENGTH: Record<number, number> = { [TLSA_MATCHING.FULL]: 0, [TLSA_MATCHING.SHA256]: 32, [TLSA_MATCHING.SHA512]: 64 };

/**
 * The records DANE for SMTP can use: usage DANE-TA(2) or DANE-EE(3), selector 0 or 1, matching type 0, 1
 * or 2, with data of the length the matching type needs (a truncated digest could never match; RFC 7671
 * 5.3 asks clients to treat such records as unusable, not as failures).
 */
export function usableTlsa(records: readonly TlsaRecord[]): TlsaRecord[] {
  return records.filter((r) => {
    if (r.usage !== TLSA_USAGE.DANE_TA && r.usage !== TLSA_USAGE.DANE_EE) return false;
    if (r.selector !== TLSA_SELECTOR.CERT && r.selector !== TLSA_SELECTOR.SPKI) return false;
    const length = DIGEST_LENGTH[r.matchingType];
    if (length === undefined) return false;
    return length === 0 ? r.data.length > 0 : r.data.length === length;
  });
}

/** What DANE requires of the connection to one MX host, from its TLSA lookup (the rule above). */
export type DanePolicy =
  /** DANE does not apply: deliver as without it. */
  | { mode: 'none' }
  /** TLS mandatory, certificate not checked (authenticated TLSA RRset, but no usable record). */
  | { mode: 'encrypt' }
  /** TLS mandatory and the chain must pass `matchesTlsa` against these (usable) records. */
  | { mode: 'verify'; records: TlsaRecord[] };

export function danePolicy(lookup: TlsaLookup): DanePolicy {
  if (!lookup.authenticated || lookup.records.length === 0) return { mode: 'none' };
  const records = usableTlsa(lookup.records);
  return records.length ? { mode: 'verify', records } : { mode: 'encrypt' };
}

/**
 * Does a server's certificate chain (DER, leaf first, as presented) match any usable TLSA record?
 * Unusable records are skipped, so a set with none usable never matches (see `danePolicy` for what that
 * means).
 *
 * - DANE-EE(3): the leaf matches. Nothing else is checked: not the name, not the validity dates, not the
 *   chain (RFC 7672 3.1.1).
 * - DANE-TA(2): a certificate above the leaf matches, the chain from the leaf up to it verifies (each
 *   certificate issued and signed by the next, every issuer a CA, the ones below the anchor within their
 *   validity dates), and the leaf is valid for one of `hostnames` (RFC 7672 3.2.3: the TLSA base domain,
 *   i.e. the MX host name after CNAME expansion, and the MX host name itself; wildcards only as a whole
 *   left-most label). A 2 1 0 record (the anchor's full public key) also matches when the server leaves the
 *   anchor out and the top of the chain is signed by that key (RFC 7671 5.2.2).
 *
 * Without the signature checks, anyone could present their own leaf after the (public) anchor certificate.
 */
export function matchesTlsa(
  chain: readonly Buffer[],
  records: readonly TlsaRecord[],
  hostnames: string | readonly string[],
  now: Date = new Date(),
): boolean {
  const certs: X509Certificate[] = [];
  for (const der of chain) {
    const cert = parse(der);
    if (!cert) break; // what follows an unparseable certificate cannot be chained to
    certs.push(cert);
  }
  const leaf = certs[0];
  if (!leaf) return false;
  const usable = usableTlsa(records);

  if (usable.some((r) => r.usage === TLSA_USAGE.DANE_EE && associates(leaf, r))) return true;

  const ta = usable.filter((r) => r.usage === TLSA_USAGE.DANE_TA);
  if (!ta.length || !validForName(leaf, hostnames)) return false;
  for (let depth = 1; depth < certs.length; depth++) {
    const anchor = certs[depth] as X509Certificate;
    if (ta.some((r) => associates(anchor, r)) && chainVerifies(certs, depth, now)) return true;
  }
  // The anchor's full public key published (2 1 0), the anchor certificate itself not sent.
  for (const record of ta) {
    if (record.selector !== TLSA_SELECTOR.SPKI || record.matchingType !== TLSA_MATCHING.FULL) continue;
    const key = spkiKey(record.data);
    if (!key) continue;
    for (let depth = 0; depth < certs.length; depth++) {
      const top = certs[depth] as X509Certificate;
      if (chainVerifies(certs, depth, now) && withinDates(top, now) && verifies(top, key)) return true;
    }
  }
  return false;
}

function parse(der: Buffer): X509Certificate | undefined {
  try {
    return new X509Certificate(der);
  } catch {
    return undefined;
  }
}

/** The certificate's association data under the record's selector and matching type equals the record's. */
function associates(cert: X509Certificate, record: TlsaRecord): boolean {
  let selected: Buffer;
  try {
    selected = record.selector === TLSA_SELECTOR.CERT ? cert.raw : cert.publicKey.export({ type: 'spki', format: 'der' });
  } catch {
    return false; // a key type this Node cannot export
  }
  const data =
    record.matchingType === TLSA_MATCHING.SHA256
      ? createHash('sha256').update(selected).digest()
      : record.matchingType === TLSA_MATCHING.SHA512
        ? createHash('sha512').update(selected).digest()
        : selected;
  return data.equals(record.data);
}

function validForName(leaf: X509Certificate, hostnames: string | readonly string[]): boolean {
  const names = (typeof hostnames === 'string' ? [hostnames] : hostnames).map((n) => n.replace(/\.$/, '')).filter(Boolean);
  return names.some((name) => leaf.checkHost(name, { subject: 'default', wildcards: true, partialWildcards: false, multiLabelWildcards: false }) !== undefined);
}

/** Each certificate below `depth` is within its dates and issued and signed by the next, which is a CA. */
function chainVerifies(certs: readonly X509Certificate[], depth: number, now: Date): boolean {
  for (let i = 0; i < depth; i++) {
    const cert = certs[i] as X509Certificate;
    const issuer = certs[i + 1] as X509Certificate;
    if (!withinDates(cert, now) || !issuer.ca || !cert.checkIssued(issuer) || !verifies(cert, issuer.publicKey)) return false;
  }
  return true;
}

function verifies(cert: X509Certificate, key: KeyObject): boolean {
  try {
    return cert.verify(key);
  } catch {
    return false;
  }
}

function withinDates(cert: X509Certificate, now: Date): boolean {
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  return Number.isFinite(from) && Number.isFinite(to) && from <= now.getTime() && now.getTime() <= to;
}

function spkiKey(der: Buffer): KeyObject | undefined {
  try {
    return createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}
