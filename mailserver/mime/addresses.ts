/**
 * Address headers: parsed once with nodemailer's addressparser, then shaped three ways — IMAP ENVELOPE
 * addresses (raw text, RFC 9051 §7.5.2 group markers), readable text for SEARCH, and RFC 5256 / RFC 5957 sort keys.
 */
import addressparser, { type Address } from 'nodemailer/lib/addressparser';
import { LIMITS } from './limits.ts';
import { decodeWordsSafe } from './part-headers.ts';
import type { EnvelopeAddress } from './types.ts';

/** Address bytes still allowed for this message, shared by the message and its embedded messages. */
export interface AddressBudget {
  remaining: number;
}

export function newAddressBudget(): AddressBudget {
  return { remaining: LIMITS.addressBudget };
}

/** A mailbox, or a group with its members. Names are raw header text (encoded-words not decoded). */
export type AddressEntry =
  | { kind: 'mailbox'; name: string; address: string }
  | { kind: 'group'; name: string; members: { name: string; address: string }[] };

/**
 * Parses an address header value. Only a bounded prefix is parsed (cut at a comma so no address is split), and
 * at most LIMITS.maxAddressesPerHeader addresses are kept, counting group members.
 */
export function parseAddressHeader(value: string | null, budget: AddressBudget): AddressEntry[] {
  if (!value || budget.remaining <= 0) return [];
  const text = boundedPrefix(value, Math.min(LIMITS.maxAddressValue, budget.remaining));
  budget.remaining -= text.length;
  let parsed: Address[];
  try {
    parsed = addressparser(text);
  } catch {
    return [];
  }
  return toEntries(parsed, LIMITS.maxAddressesPerHeader);
}

function boundedPrefix(value: string, max: number): string {
  if (value.length <= max) return value;
  const comma = value.lastIndexOf(',', max);
  return value.slice(0, comma > 0 ? comma : max);
}

function toEntries(parsed: Address[], max: number): AddressEntry[] {
  const out: AddressEntry[] = [];
  let count = 0;
  for (const item of parsed) {
    if (count >= max) break;
    if (item.group !== undefined) {
      const members: { name: string; address: string }[] = [];
      // addressparser flattens nested groups into group members already.
      for (const m of item.group) {
        if (count >= max) break;
        if (m.group !== undefined) continue;
        members.push({ name: m.name, address: m.address });
        count++;
      }
      out.push({ kind: 'group', name: item.name, members });
    } else {
      out.push({ kind: 'mailbox', name: item.name, address: item.address });
      count++;
    }
  }
  return out;
}

/** IMAP ENVELOPE address list: group start marker (mailbox = group name, host NIL), members, end marker. */
export function toEnvelopeAddresses(entries: readonly AddressEntry[]): EnvelopeAddress[] {
  const out: EnvelopeAddress[] = [];
  for (const e of entries) {
    if (e.kind === 'mailbox') {
      out.push(envelopeMailbox(e.name, e.address));
    } else {
      out.push({ name: null, adl: null, mailbox: e.name, host: null });
      for (const m of e.members) out.push(envelopeMailbox(m.name, m.address));
      out.push({ name: null, adl: null, mailbox: null, host: null });
    }
  }
  return out;
}

/**
 * A mailbox never gets a NIL host, since NIL host means a group marker; an address without a domain gets
 * host "" instead.
 */
function envelopeMailbox(name: string, address: string): EnvelopeAddress {
  const at = address.lastIndexOf('@');
  const mailbox = at === -1 ? address : address.slice(0, at);
  const host = at === -1 ? '' : address.slice(at + 1);
  return { name: name === '' ? null : name, adl: null, mailbox, host };
}

/** Decoded, readable form for SEARCH FROM/TO/CC/BCC: 'Jane Doe <jane@example.com>, Team: a@b.c;'. */
export function toDisplayText(entries: readonly AddressEntry[]): string {
  return entries
    .map((e) =>
      e.kind === 'mailbox'
        ? formatMailbox(e.name, e.address)
        : `${decodeWordsSafe(e.name)}: ${e.members.map((m) => formatMailbox(m.name, m.address)).join(', ')};`,
    )
    .join(', ');
}

function formatMailbox(name: string, address: string): string {
  const decoded = decodeWordsSafe(name).trim();
  if (decoded && address) return `${decoded} <${address}>`;
  return decoded || address;
}

function firstMailbox(entries: readonly AddressEntry[]): { name: string; address: string } | null {
  for (const e of entries) {
    if (e.kind === 'mailbox') return e;
    if (e.members[0]) return e.members[0];
  }
  return null;
}

/** RFC 5256 §3 SORT FROM/TO/CC key: the addr-mailbox (local part) of the first address, lower-cased. */
export function sortKey(entries: readonly AddressEntry[]): string {
  const first = firstMailbox(entries);
  if (!first) return '';
  const at = first.address.lastIndexOf('@');
  return (at === -1 ? first.address : first.address.slice(0, at)).toLowerCase();
}

/**
 * RFC 5957 DISPLAYFROM/DISPLAYTO key: the decoded display name of the first address, or its addr-spec when it
 * has none; lower-cased because the sort compares with the case-insensitive i;unicode-casemap collation.
 */
export function displayKey(entries: readonly AddressEntry[]): string {
  const first = firstMailbox(entries);
  if (!first) return '';
  const name = decodeWordsSafe(first.name).trim();
  return (name || first.address).toLowerCase();
}
