/**
 * IMAP ENVELOPE (RFC 9051 §7.5.2) of a message or of an embedded message/rfc822, from its header fields.
 * Values stay raw (encoded-words encoded), unfolded so they fit a quoted string.
 */
import { parseAddressHeader, toEnvelopeAddresses, type AddressBudget, type AddressEntry } from './addresses.ts';
import { LIMITS } from './limits.ts';
import { fieldValue, firstField, type HeaderField } from './header-fields.ts';
import type { ImapEnvelope } from './types.ts';

/** The parsed address headers, kept so the caller can also derive search text and sort keys from one parse. */
export interface EnvelopeAddresses {
  from: AddressEntry[];
  sender: AddressEntry[];
  replyTo: AddressEntry[];
  to: AddressEntry[];
  cc: AddressEntry[];
  bcc: AddressEntry[];
}

export interface EnvelopeResult {
  envelope: ImapEnvelope;
  addresses: EnvelopeAddresses;
}

export function emptyEnvelope(): ImapEnvelope {
  return {
    date: null,
    subject: null,
    from: [],
    sender: [],
    replyTo: [],
    to: [],
    cc: [],
    bcc: [],
    inReplyTo: null,
    messageId: null,
  };
}

export function buildEnvelope(raw: Buffer, fields: readonly HeaderField[], budget: AddressBudget): EnvelopeResult {
  const text = (name: string): string | null => {
    const f = firstField(fields, name);
    return f ? fieldValue(raw, f, LIMITS.maxStructuredValue) : null;
  };
  const addresses = (name: string): AddressEntry[] => {
    const f = firstField(fields, name);
    return f ? parseAddressHeader(fieldValue(raw, f, LIMITS.maxAddressValue), budget) : [];
  };
  const from = addresses('from');
  // RFC 9051 §7.5.2: an absent or empty Sender / Reply-To is reported as the From value.
  const senderOwn = addresses('sender');
  const replyToOwn = addresses('reply-to');
  const parsed: EnvelopeAddresses = {
    from,
    sender: senderOwn.length > 0 ? senderOwn : from,
    replyTo: replyToOwn.length > 0 ? replyToOwn : from,
    to: addresses('to'),
    cc: addresses('cc'),
    bcc: addresses('bcc'),
  };
  const envelope: ImapEnvelope = {
    date: text('date'),
    subject: text('subject'),
    from: toEnvelopeAddresses(parsed.from),
    sender: toEnvelopeAddresses(parsed.sender),
    replyTo: toEnvelopeAddresses(parsed.replyTo),
    to: toEnvelopeAddresses(parsed.to),
    cc: toEnvelopeAddresses(parsed.cc),
    bcc: toEnvelopeAddresses(parsed.bcc),
    inReplyTo: text('in-reply-to'),
    messageId: text('message-id'),
  };
  return { envelope, addresses: parsed };
}
