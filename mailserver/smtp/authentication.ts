import { authenticate, type AuthenticateResult } from 'mailauth';
import type { DnsResolver } from '../dns/resolver.ts';
import { headerFields, joinMessage, splitMessage } from './message-headers.ts';

/** What the sender-authentication checks found, kept for the spam pipeline and the report. */
export interface AuthenticationSummary {
  spf: string;
  dkim: string;
  dmarc: string;
  /** The From domain's DMARC policy when DMARC failed (none, quarantine, reject). */
  dmarcPolicy: string | null;
  arc: string;
}

export interface AuthenticationOutcome {
  /** Header lines to prepend (Received-SPF, Authentication-Results, …), CRLF-terminated. */
  headers: string;
  summary: AuthenticationSummary;
}

export interface TransactionFacts {
  ip: string;
  helo: string;
  /** MAIL FROM, empty for bounces. */
  sender: string;
  /** Our name: the authserv-id of the Authentication-Results we write. */
  hostname: string;
}

const resultOf = (status: { result?: string } | undefined | false): string => (status && status.result) || 'none';

/**
 * SPF, DKIM, DMARC and ARC (RFC 7208, 6376, 7489, 8617) through mailauth, every lookup going through the
 * one resolver. A DNS failure becomes `temperror` in the results, never a refusal by itself.
 */
/**
 * mailauth's header parser slows down sharply past ~10,000 header lines (25,000 take seconds), so a
 * header block beyond this is not checked at all: its results read "none", which the spam defence can
 * hold against it, and no sender can stall the checks of everyone else.
 */
export const MAX_CHECKED_HEADER_LINES = 10_000;

export function headerLines(raw: Buffer): number {
  const end = raw.indexOf('\r\n\r\n');
  const header = end < 0 ? raw : raw.subarray(0, end);
  let lines = 1;
  for (let i = header.indexOf(10); i >= 0; i = header.indexOf(10, i + 1)) lines++;
  return lines;
}

export async function checkSender(raw: Buffer, facts: TransactionFacts, resolver: DnsResolver): Promise<AuthenticationOutcome> {
  if (headerLines(raw) > MAX_CHECKED_HEADER_LINES) {
    return {
      headers: `Authentication-Results: ${facts.hostname};\r\n\tnone (header block over ${MAX_CHECKED_HEADER_LINES} lines; not checked)\r\n`,
      summary: { spf: 'none', dkim: 'none', dmarc: 'none', dmarcPolicy: null, arc: 'none' },
    };
  }
  let result: AuthenticateResult;
  try {
    result = await authenticate(raw, {
      ip: facts.ip,
      helo: facts.helo,
      sender: facts.sender,
      mta: facts.hostname,
      resolver: resolver.resolve as never,
      disableBimi: true,
    });
  } catch (error) {
    const reason = String((error as Error).message ?? error).replace(/[^\x20-\x7e]/g, ' ').slice(0, 120);
    return {
      headers: `Authentication-Results: ${facts.hostname};\r\n\tnone (checks could not run: ${reason})\r\n`,
      summary: { spf: 'temperror', dkim: 'temperror', dmarc: 'temperror', dmarcPolicy: null, arc: 'none' },
    };
  }
  const dmarc = result.dmarc ? resultOf(result.dmarc.status) : 'none';
  return {
    headers: result.headers.endsWith('\r\n') ? result.headers : `${result.headers}\r\n`,
    summary: {
      spf: result.spf ? resultOf(result.spf.status) : 'none',
      dkim: result.dkim.results.length === 0 ? 'none' : result.dkim.results.some((r) => r.status.result === 'pass') ? 'pass' : resultOf(result.dkim.results[0]!.status),
      dmarc,
      dmarcPolicy: result.dmarc && dmarc === 'fail' ? result.dmarc.policy : null,
      arc: result.arc ? resultOf(result.arc.status) : 'none',
    },
  };
}

/**
 * Remove Authentication-Results that claim to be ours (RFC 8601 §5): only this server may vouch under
 * its own name, or a sender could forge a "pass" that readers and filters would believe.
 */
export function withoutForgedResults(raw: Buffer, hostname: string): Buffer {
  const parts = splitMessage(raw);
  const ours = new RegExp(`^authentication-results:\\s*${hostname.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*(;|$)`, 'i');
  const fields = headerFields(parts.header);
  const kept = fields.filter((f) => !(f.name === 'authentication-results' && ours.test(f.text.replace(/\r\n[ \t]/g, ' '))));
  if (kept.length === fields.length) return raw;
  return joinMessage({ header: kept.map((f) => f.text).join(''), body: parts.body });
}
