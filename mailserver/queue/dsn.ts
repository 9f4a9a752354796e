/**
 * Delivery status notifications: the bounce or delay warning sent to the envelope sender of a message, composed
 * as a multipart/report (RFC 6522, formerly RFC 3462) with three parts:
 *   1. text/plain: what happened, in plain words, for the person who sent the message;
 *   2. message/delivery-status (RFC 3464): the same facts as fields a program can read, status codes per RFC 3463;
 *   3. text/rfc822-headers (the default, and whenever the message is over the size cap) or message/rfc822
 *      (RET=FULL, RFC 3461) with the original message.
 *
 * composeDsn is pure apart from the clock and a random Message-ID (both injectable). Everything that came from
 * the network (the remote reply, addresses, ORCPT, ENVID, host names) is untrusted: control characters and line
 * breaks are removed, lengths are capped and long values folded, so no value can start a header field or a MIME
 * part. The delivery-status part is 7-bit: a non-ASCII address uses the 'utf-8' address type with the
 * utf-8-addr-xtext encoding of RFC 6533 §3, other non-ASCII text the same \x{HEX} escapes. The boundary is
 * derived from the content and checked not to occur in any part, the original message included.
 *
 * The caller sends the result with a null reverse-path (MAIL FROM:<>, RFC 5321 §4.5.5) so it cannot bounce again.
 */
import { createHash, randomUUID } from 'node:crypto';
import { domainToASCII } from 'node:url';
import libqp from 'libqp';

export type DsnAction = 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded';

export interface DsnRecipient {
  /** Final recipient: the address delivery was attempted to (reported as Final-Recipient). */
  address: string;
  /** ORCPT (RFC 3461 §4.2), already xtext-decoded: "rfc822;addr", "utf-8;addr" or a bare address. */
  originalRecipient?: string;
  action: DsnAction;
  /** RFC 3463 code such as '5.1.1' or '4.4.1'; an invalid one is replaced by the code in the diagnostic or X.0.0. */
  status: string;
  /** The remote server's reply (or a local reason), reported as "Diagnostic-Code: smtp; ..."; may be multi-line. */
  diagnostic?: string;
  /** The remote MTA, "dns; mx.example.org" or just the host name. */
  remoteMta?: string;
  lastAttempt?: Date;
  /** Until when delivery is retried; reported for action 'delayed' only. */
  willRetryUntil?: Date;
}

export interface DsnInput {
  /** Our host name (Reporting-MTA, Message-ID domain). */
  reportingMta: string;
  /** Address in From: ("Mail Delivery System <postmaster>"), e.g. MAILER-DAEMON@host. */
  postmaster: string;
  /** Envelope sender of the original message, never empty (a message with MAIL FROM:<> is not reported on). */
  to: string;
  /** ENVID (RFC 3461 §4.4), xtext-decoded. */
  envelopeId?: string;
  arrivalDate: Date;
  /** At least one: RFC 3464 requires a per-recipient group. */
  recipients: DsnRecipient[];
  /** The original message as received (CRLF line endings; other line endings are normalised). */
  original: Buffer;
  /** RET=FULL: return the whole message (message/rfc822) instead of its header (text/rfc822-headers). */
  returnFullMessage?: boolean;
  /** Cap on the returned content (default DSN_MAX_ORIGINAL_BYTES): a larger message is returned as headers only. */
  maxOriginalBytes?: number;
  /** Date header time (default: now). */
  now?: Date;
  /** Message-ID, with or without angle brackets (default: random at reportingMta). */
  messageId?: string;
}

export const DSN_MAX_ORIGINAL_BYTES = 256 * 1024;

const CRLF = '\r\n';
const FOLD_WIDTH = 78;
const TEXT_WIDTH = 72;
/** Longest single value in the delivery-status part: with its field name it stays under 998 octets per line. */
const MAX_FIELD_VALUE = 900;
/** Characters of the remote reply kept (before escaping). */
const MAX_DIAGNOSTIC = 900;
const MAX_ADDRESS = 512;
const MAX_HOST = 255;
/** RFC 3461 §4.4: ENVID is at most 100 characters. */
const MAX_ENVID = 100;

const ACTIONS: readonly DsnAction[] = ['failed', 'delayed', 'delivered', 'relayed', 'expanded'];
const STATUS = /^([245])\.(\d{1,3})\.(\d{1,3})$/;
const TYPED = /^\s*([A-Za-z0-9][A-Za-z0-9-]{0,31})\s*;([\s\S]*)$/;
/** Line breaks, C0/C1 controls, DEL, Unicode line separators, bidi overrides and BOM. */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function composeDsn(input: DsnInput): Buffer {
  if (input.recipients.length === 0) throw new TypeError('composeDsn: a DSN needs at least one recipient');
  const host = hostName(input.reportingMta) || 'localhost';
  const recipients = input.recipients.map(normalizeRecipient);
  const returned = originalContent(input);

  const parts: Part[] = [
    textPart(humanText(host, recipients, returned)),
    {
      headers: ['Content-Type: message/delivery-status', 'Content-Description: Delivery report'],
      body: Buffer.from(deliveryStatus(input, host, recipients), 'latin1'),
      encoding: '7bit',
    },
    {
      headers: [
        returned.full ? 'Content-Type: message/rfc822' : 'Content-Type: text/rfc822-headers',
        `Content-Description: ${returned.full ? 'Original message' : 'Original message headers'}`,
      ],
      body: returned.body,
      encoding: transferClass(returned.body),
    },
  ];
  for (const part of parts) {
    if (part.encoding !== '7bit') part.headers.push(`Content-Transfer-Encoding: ${part.encoding}`);
  }

  const rendered = parts.map((p) => ({
    head: Buffer.from(p.headers.map((h) => h + CRLF).join('') + CRLF, 'latin1'),
    body: p.body,
  }));
  const boundary = chooseBoundary(rendered.flatMap((p) => [p.head, p.body]));
  const now = validDate(input.now) ?? new Date();
  const header = [
    `From: Mail Delivery System <${headerAddress(input.postmaster)}>`,
    `To: <${headerAddress(input.to)}>`,
    `Subject: ${subjectOf(recipients)}`,
    `Date: ${rfc5322Date(now)}`,
    `Message-ID: ${messageIdOf(input.messageId, host)}`,
    'MIME-Version: 1.0',
    'Auto-Submitted: auto-replied',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    `Content-Transfer-Encoding: ${widest(parts.map((p) => p.encoding))}`,
  ]
    .map(fold)
    .join('');

  const chunks: Buffer[] = [Buffer.from(`${header}${CRLF}This is a MIME-encapsulated message.${CRLF}`, 'utf8')];
  for (const part of rendered) chunks.push(Buffer.from(`${CRLF}--${boundary}${CRLF}`, 'latin1'), part.head, part.body);
  chunks.push(Buffer.from(`${CRLF}--${boundary}--${CRLF}`, 'latin1'));
  return Buffer.concat(chunks);
}

// ---------------------------------------------------------------------------------------------------------------
// Recipients

interface Recipient {
  action: DsnAction;
  status: string;
  /** Address as shown to people (may hold Unicode). */
  display: string;
  finalField: string;
  originalField: string | null;
  mtaField: string | null;
  mtaHost: string | null;
  /** The remote reply on one line, for people (Unicode kept), and escaped to ASCII for the report. */
  diagnostic: string | null;
  diagnosticField: string | null;
  lastAttempt: Date | null;
  retryUntil: Date | null;
}

function normalizeRecipient(r: DsnRecipient): Recipient {
  const action = ACTIONS.includes(r.action) ? r.action : 'failed';
  const diagnostic = r.diagnostic ? cleanText(joinReply(r.diagnostic), MAX_DIAGNOSTIC) : '';
  const remote = r.remoteMta ? mtaField(r.remoteMta) : null;
  return {
    action,
    status: statusOf(r.status, diagnostic, action),
    display: displayAddress(r.address),
    finalField: addressField(r.address),
    originalField: r.originalRecipient ? originalRecipientField(r.originalRecipient) : null,
    mtaField: remote?.field ?? null,
    mtaHost: remote?.host ?? null,
    diagnostic: diagnostic || null,
    diagnosticField: diagnostic ? `smtp; ${escapeText(diagnostic, isPrintableAscii, MAX_FIELD_VALUE)}` : null,
    lastAttempt: validDate(r.lastAttempt),
    retryUntil: action === 'delayed' ? validDate(r.willRetryUntil) : null,
  };
}

/**
 * A (multi-line) SMTP reply on one line: "550-5.1.1 a" / "550 5.1.1 b" becomes "550 5.1.1 a b". A leading
 * "smtp;" (a caller passing a Diagnostic-Code value) is dropped; other text is kept as it is.
 */
function joinReply(reply: string): string {
  const lines = String(reply)
    .slice(0, MAX_DIAGNOSTIC * 8)
    .replace(/^\s*smtp\s*;/i, '')
    .split(/\r\n|\r|\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const first = /^([245]\d\d)[ -](?:([245]\.\d{1,3}\.\d{1,3})(?: |$))?/.exec(lines[0] ?? '');
  if (!first || lines.length < 2) return lines.join(' ');
  const [prefix, code, enhanced] = first;
  const texts = lines.map((line) => {
    if (!line.startsWith(code ?? '') || (line[3] !== ' ' && line[3] !== '-')) return line;
    const rest = line.slice(4).trimStart();
    if (!enhanced) return rest;
    return rest.startsWith(`${enhanced} `) ? rest.slice(enhanced.length + 1) : rest === enhanced ? '' : rest;
  });
  texts[0] = (lines[0] ?? '').slice(prefix.length);
  return [code, enhanced, ...texts].filter((t) => t).join(' ');
}

/** A valid RFC 3463 code as given; else the enhanced code of the remote reply; else X.0.0 of the action's class. */
function statusOf(status: string, diagnostic: string, action: DsnAction): string {
  const given = typeof status === 'string' ? status.trim() : '';
  if (STATUS.test(given)) return given;
  const fromReply = /^[245]\d\d[ -]([245]\.\d{1,3}\.\d{1,3})\b/.exec(diagnostic)?.[1];
  if (fromReply) return fromReply;
  return action === 'failed' ? '5.0.0' : action === 'delayed' ? '4.0.0' : '2.0.0';
}

// ---------------------------------------------------------------------------------------------------------------
// Untrusted text

/** One line: controls and line breaks become spaces, whitespace runs collapse, at most max characters. */
function cleanText(value: string, max: number, ellipsis = '…'): string {
  const text = String(value)
    .slice(0, max * 8 + 64)
    .replace(LONE_SURROGATE, '\ufffd')
    .replace(CONTROLS, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return cutChars(text, max, ellipsis);
}

function cutChars(text: string, max: number, ellipsis: string): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - ellipsis.length);
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return text.slice(0, end).trimEnd() + ellipsis;
}

function isPrintableAscii(cp: number): boolean {
  return cp >= 0x20 && cp <= 0x7e;
}

/** RFC 6533 QCHAR: printable ASCII except SP, '+', '=' and '\'. */
function isQchar(cp: number): boolean {
  return cp >= 0x21 && cp <= 0x7e && cp !== 0x2b && cp !== 0x3d && cp !== 0x5c;
}

/** Code points that fail `keep` become \x{HEX} (RFC 6533 EmbeddedUnicodeChar); over max, cut at a char + "...". */
function escapeText(text: string, keep: (cp: number) => boolean, max: number): string {
  const pieces: string[] = [];
  let length = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0xfffd;
    const piece = keep(cp) ? ch : `\\x{${cp.toString(16).toUpperCase()}}`;
    pieces.push(piece);
    length += piece.length;
    if (length > max) break;
  }
  if (length <= max) return pieces.join('');
  let out = '';
  for (const piece of pieces) {
    if (out.length + piece.length > max - 3) break;
    out += piece;
  }
  return `${out.trimEnd()}...`;
}

/** Reverses the \x{HEX} escapes of a utf-8-addr-xtext value (invalid code points are left as written). */
function unescapeXtext(text: string): string {
  return text.replace(/\\x\{([0-9A-Fa-f]{1,6})\}/g, (whole, hex: string) => {
    const cp = parseInt(hex, 16);
    return cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? String.fromCodePoint(cp) : whole;
  });
}

function isAscii(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text);
}

// ---------------------------------------------------------------------------------------------------------------
// Addresses and hosts

/** One line, no angle brackets. */
function cleanAddress(raw: string): string {
  return cleanText(raw, MAX_ADDRESS).replace(/[<>]/g, '').trim();
}

/** The address with an IDN domain as A-labels, when that makes it ASCII; else as it is. */
function asciiIfPossible(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0 || isAscii(address) || !isAscii(address.slice(0, at))) return address;
  const domain = domainToASCII(address.slice(at + 1));
  return domain ? `${address.slice(0, at)}@${domain}` : address;
}

function displayAddress(raw: string): string {
  return cleanAddress(raw) || '(unknown address)';
}

/** For From: and To:. A non-ASCII local part stays UTF-8 (RFC 6532): such a sender can only be reached by SMTPUTF8. */
function headerAddress(raw: string): string {
  return asciiIfPossible(cleanAddress(raw)) || 'postmaster';
}

/** "rfc822; addr" for an ASCII address, else "utf-8; " utf-8-addr-xtext (RFC 6533 §3). */
function addressField(raw: string): string {
  const address = asciiIfPossible(cleanAddress(raw));
  if (address === '') return 'rfc822; unknown';
  if (isAscii(address)) return `rfc822; ${cutChars(address, MAX_FIELD_VALUE, '...')}`;
  return `utf-8; ${escapeText(address, isQchar, MAX_FIELD_VALUE)}`;
}

function originalRecipientField(orcpt: string): string {
  const typed = TYPED.exec(orcpt);
  if (!typed) return addressField(orcpt);
  const type = (typed[1] ?? '').toLowerCase();
  const value = typed[2] ?? '';
  if (type === 'rfc822') return addressField(value);
  if (type === 'utf-8') return addressField(unescapeXtext(value));
  return `${type}; ${escapeText(cleanText(value, MAX_ADDRESS), isPrintableAscii, MAX_FIELD_VALUE) || 'unknown'}`;
}

/** A host name on one line without spaces, IDNs as A-labels. */
function hostName(raw: string): string {
  const host = cleanText(raw, MAX_HOST).replace(/\s+/g, '');
  if (isAscii(host)) return host;
  return domainToASCII(host) || escapeText(host, isPrintableAscii, MAX_HOST);
}

/** "dns; host" from "dns; host", "DNS;host" or a bare host name. */
function mtaField(raw: string): { field: string; host: string } | null {
  const typed = TYPED.exec(raw);
  const host = hostName(typed ? (typed[2] ?? '') : raw);
  if (!host) return null;
  const type = typed ? (typed[1] ?? 'dns').toLowerCase() : 'dns';
  return { field: `${type}; ${host}`, host };
}

function messageIdOf(given: string | undefined, host: string): string {
  const id = given ? cleanText(given, MAX_FIELD_VALUE).replace(/[\s<>]/g, '') : '';
  if (id && isAscii(id)) return `<${id}>`;
  return `<${randomUUID()}@${host}>`;
}

// ---------------------------------------------------------------------------------------------------------------
// The delivery-status part (RFC 3464 §2)

function deliveryStatus(input: DsnInput, host: string, recipients: Recipient[]): string {
  const perMessage: string[] = [`Reporting-MTA: dns; ${host}`];
  const envid = input.envelopeId ? cleanText(input.envelopeId, MAX_ENVID, '...') : '';
  if (envid) perMessage.push(`Original-Envelope-Id: ${escapeText(envid, isPrintableAscii, MAX_FIELD_VALUE)}`);
  const arrival = validDate(input.arrivalDate);
  if (arrival) perMessage.push(`Arrival-Date: ${rfc5322Date(arrival)}`);

  const groups = recipients.map((r) => {
    const fields: string[] = [];
    if (r.originalField) fields.push(`Original-Recipient: ${r.originalField}`);
    fields.push(`Final-Recipient: ${r.finalField}`, `Action: ${r.action}`, `Status: ${r.status}`);
    if (r.mtaField) fields.push(`Remote-MTA: ${r.mtaField}`);
    if (r.diagnosticField) fields.push(`Diagnostic-Code: ${r.diagnosticField}`);
    if (r.lastAttempt) fields.push(`Last-Attempt-Date: ${rfc5322Date(r.lastAttempt)}`);
    if (r.retryUntil) fields.push(`Will-Retry-Until: ${rfc5322Date(r.retryUntil)}`);
    return fields.map(fold).join('');
  });
  return [perMessage.map(fold).join(''), ...groups].join(CRLF);
}

/**
 * "Name: value" CRLF, folded before spaces so lines stay within 78 characters where the value allows it. Values
 * are single-line and capped, so even an unbreakable one stays under the 998-octet line limit.
 */
function fold(field: string): string {
  const words = field.split(' ').filter((w) => w !== '');
  let out = '';
  let line = '';
  for (const word of words) {
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= FOLD_WIDTH) line += ` ${word}`;
    else {
      out += line + CRLF;
      line = ` ${word}`;
    }
  }
  return out + line + CRLF;
}

// ---------------------------------------------------------------------------------------------------------------
// The human-readable part

interface Returned {
  body: Buffer;
  full: boolean;
  /** RET=FULL was asked for but the message is over the cap. */
  tooLarge: boolean;
  /** The header itself was over the cap and was cut. */
  headerCut: boolean;
  size: number;
  cap: number;
}

function subjectOf(recipients: Recipient[]): string {
  if (recipients.some((r) => r.action === 'failed')) return 'Undelivered Mail Returned to Sender';
  if (recipients.some((r) => r.action === 'delayed')) return 'Delayed Mail (still being retried)';
  return 'Successful Mail Delivery Report';
}

const SECTIONS: Record<DsnAction, string> = {
  failed: 'Could not be delivered:',
  delayed: 'Delayed, still being retried:',
  delivered: 'Delivered:',
  relayed: 'Relayed to a system that sends no further delivery reports:',
  expanded: 'Delivered to a list or alias, which passed it on to its members:',
};

function humanText(host: string, recipients: Recipient[], returned: Returned): string {
  const failed = recipients.filter((r) => r.action === 'failed');
  const delayed = recipients.filter((r) => r.action === 'delayed');
  const out: string[] = [];
  const para = (text: string): void => {
    out.push(...wrap(text, ''), '');
  };

  para(`This is the mail delivery system at ${host}.`);
  if (failed.length > 0 && delayed.length > 0) {
    para(
      'Your message could not be delivered to some of its recipients, and delivery to others is delayed. ' +
        'The details are below.',
    );
  } else if (failed.length > 0) {
    para(
      `Your message could not be delivered to ${plural(failed.length, 'recipient', 'recipients')}. ` +
        'The mail system has given up and will not try again for the addresses below.',
    );
  } else if (delayed.length > 0) {
    para(
      `Your message has not yet been delivered to ${plural(delayed.length, 'recipient', 'recipients')}. ` +
        'This is only a warning: the mail system keeps trying, so you do not need to send the message again.',
    );
  } else {
    para('This is the delivery report you asked for. Your message reached the destinations below.');
  }

  for (const action of ACTIONS) {
    const group = recipients.filter((r) => r.action === action);
    if (group.length === 0) continue;
    out.push(SECTIONS[action], '');
    for (const r of group) out.push(...recipientText(r), '');
  }

  const advice = adviceFor(failed, delayed);
  if (advice.length > 0) {
    out.push('What you can do:', '');
    for (const item of advice) out.push(...wrap(item, '  - ', '    '));
    out.push('');
  }

  if (returned.tooLarge) {
    para(
      `Your message (${returned.size} bytes) is too large to be returned in full (the limit is ${returned.cap} ` +
        'bytes); only its header is attached below.',
    );
  } else if (returned.full) {
    para('Your message is attached below.');
  } else {
    para(returned.body.length > 0 ? 'The header of your message is attached below.' : 'Your message had no header.');
  }
  if (returned.headerCut) para('The header was too long to return completely and has been shortened.');
  para('The attached delivery report has the same details in a form mail programs can read.');
  return out.join(CRLF);
}

function recipientText(r: Recipient): string[] {
  const lines = [`  ${r.display}`];
  const label = r.action === 'failed' || r.action === 'delayed' ? 'Reason' : 'Result';
  lines.push(...wrap(`${label}: ${describeStatus(r.status)} (status ${r.status}).`, '    ', '      '));
  if (r.action === 'failed' && r.status.startsWith('4.')) {
    lines.push(...wrap('Every attempt failed with a temporary error until the retry period ran out.', '    ', '    '));
  }
  if (r.diagnostic) {
    lines.push(...wrap(r.mtaHost ? `The receiving server ${r.mtaHost} replied:` : 'Details:', '    ', '      '));
    lines.push(...wrap(r.diagnostic, '      ', '      '));
  } else if (r.mtaHost) {
    lines.push(...wrap(`Receiving server: ${r.mtaHost}`, '    ', '      '));
  }
  if (r.lastAttempt) lines.push(`    Last attempt: ${rfc5322Date(r.lastAttempt)}`);
  if (r.action === 'delayed') {
    lines.push(r.retryUntil ? `    Will keep trying until: ${rfc5322Date(r.retryUntil)}` : '    Will keep trying.');
  }
  return lines;
}

function adviceFor(failed: Recipient[], delayed: Recipient[]): string[] {
  const advice: string[] = [];
  const any = (test: (subject: number, detail: number, klass: string) => boolean): boolean =>
    failed.some((r) => {
      const [klass = '', subject = '', detail = ''] = r.status.split('.');
      return test(Number(subject), Number(detail), klass);
    });
  if (any((s, d, k) => k === '5' && s === 1)) {
    advice.push('Check the address for typing mistakes, then send the message again to the corrected address.');
  }
  if (any((s, d) => s === 2 && d === 2)) {
    advice.push("The recipient's mailbox is full. Try again later, or reach the recipient another way.");
  }
  if (any((s, d) => (s === 2 && d === 3) || (s === 3 && d === 4))) {
    advice.push('Send the message again with smaller attachments, or share large files as a link.');
  }
  if (any((s) => s === 7)) {
    advice.push(
      'The receiving system refused the message for policy or security reasons, for example spam filtering ' +
        'or sender authentication. Reach the recipient another way, or ask your mail administrator.',
    );
  }
  if (any((s) => s === 4)) {
    advice.push('The receiving system could not be reached. You can try sending the message again later.');
  }
  if (failed.length > 0) {
    advice.push('If the problem persists, forward this notice to your mail administrator; the details help them.');
  }
  if (delayed.length > 0) {
    advice.push(
      'Nothing, for the delayed recipients: the message stays queued and is retried automatically. You will ' +
        'get another notice if it finally cannot be delivered.',
    );
  }
  return advice;
}

/** RFC 3463 (and RFC 3886, 5248, 6531, 7372, 7505) subject.detail codes in plain words. */
const DETAILS: Record<string, string> = {
  '1.1': "the recipient's mailbox does not exist",
  '1.2': 'the recipient domain does not exist or does not accept mail',
  '1.3': 'the recipient address is not a valid address',
  '1.4': 'the recipient address is ambiguous',
  '1.6': "the recipient's mailbox has moved",
  '1.10': 'the recipient domain does not accept mail (null MX)',
  '2.1': "the recipient's mailbox is disabled",
  '2.2': "the recipient's mailbox is full",
  '2.3': 'the message is larger than the recipient accepts',
  '2.4': 'the mailing list could not be expanded',
  '3.1': 'the receiving mail system is out of space',
  '3.2': 'the receiving mail system is not accepting messages',
  '3.4': 'the message is larger than the receiving system accepts',
  '3.5': 'the receiving mail system is configured incorrectly',
  '4.1': 'the receiving server did not answer',
  '4.2': 'the connection to the receiving server was lost',
  '4.3': 'a directory server (such as DNS) failed',
  '4.4': 'no route to the recipient domain could be found',
  '4.5': 'the mail system is congested',
  '4.6': 'the message was caught in a routing loop',
  '4.7': 'the message could not be delivered in time',
  '5.3': 'there were too many recipients',
  '6.0': 'the message content was refused',
  '6.7': 'the address needs international mail support (SMTPUTF8), which is missing',
  '7.1': 'the receiving system did not allow delivery',
  '7.2': 'the mailing list may not be expanded for this sender',
  '7.8': 'the authentication credentials are invalid',
  '7.23': "the sender domain's SPF check failed",
  '7.25': 'the reverse DNS check of the sending server failed',
  '7.26': 'several sender authentication checks failed',
};

const SUBJECTS: Record<string, string> = {
  '0': 'the delivery failed for an unspecified reason',
  '1': 'there is a problem with the recipient address',
  '2': "there is a problem with the recipient's mailbox",
  '3': 'there is a problem with the receiving mail system',
  '4': 'there is a network or routing problem',
  '5': 'the mail servers could not agree on the delivery',
  '6': 'there is a problem with the message content',
  '7': 'the message was refused for security or policy reasons',
};

function describeStatus(status: string): string {
  const [klass = '', subject = '', detail = ''] = status.split('.');
  if (klass === '2') return 'the message was accepted';
  const text = DETAILS[`${subject}.${detail}`] ?? SUBJECTS[subject] ?? 'the delivery failed';
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function plural(n: number, one: string, many: string): string {
  return n === 1 ? `one ${one}` : `${n} ${many}`;
}

/** Word-wraps one paragraph; words longer than the width stay whole (untrusted text is capped well below 998). */
function wrap(text: string, first: string, rest = first): string[] {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of text.split(' ')) {
    if (word === '') continue;
    if (!empty && line.length + 1 + word.length > TEXT_WIDTH) {
      lines.push(line);
      line = rest + word;
    } else {
      line += empty ? word : ` ${word}`;
    }
    empty = false;
  }
  lines.push(line);
  return lines;
}

interface Part {
  headers: string[];
  body: Buffer;
  encoding: Encoding;
}

type Encoding = '7bit' | '8bit' | 'binary' | 'quoted-printable';

function textPart(text: string): Part {
  const headers = ['Content-Type: text/plain; charset=utf-8', 'Content-Description: Notification'];
  const ascii = isAsciiText(text);
  const body = ascii ? Buffer.from(text, 'latin1') : Buffer.from(libqp.wrap(libqp.encode(text), 76), 'latin1');
  return { headers, body, encoding: ascii ? '7bit' : 'quoted-printable' };
}

function isAsciiText(text: string): boolean {
  return /^[\x20-\x7e\r\n]*$/.test(text);
}

// ---------------------------------------------------------------------------------------------------------------
// The returned original

function originalContent(input: DsnInput): Returned {
  const raw = toCrlf(input.original);
  const cap = input.maxOriginalBytes === undefined || Number.isNaN(input.maxOriginalBytes)
    ? DSN_MAX_ORIGINAL_BYTES
    : Math.max(0, input.maxOriginalBytes);
  const wantFull = input.returnFullMessage === true;
  if (wantFull && raw.length <= cap) {
    return { body: raw, full: true, tooLarge: false, headerCut: false, size: raw.length, cap };
  }
  const header = headerBlock(raw);
  const cut = capHeader(header, cap);
  return {
    body: cut,
    full: false,
    tooLarge: wantFull,
    headerCut: cut.length < header.length,
    size: raw.length,
    cap,
  };
}

/** Every line break as CRLF (a bare CR or LF in the original would otherwise end up in our message). */
function toCrlf(raw: Buffer): Buffer {
  const bytes = Buffer.isBuffer(raw) ? raw : Buffer.from(raw as Uint8Array);
  if (!/\r(?!\n)|(?<!\r)\n/.test(bytes.toString('latin1'))) return bytes;
  return Buffer.from(bytes.toString('latin1').replace(/\r\n|\r|\n/g, CRLF), 'latin1');
}

/** The header lines up to (not including) the blank line; the whole message when it has no body. */
function headerBlock(raw: Buffer): Buffer {
  if (raw[0] === 0x0d && raw[1] === 0x0a) return raw.subarray(0, 0);
  const blank = raw.indexOf('\r\n\r\n');
  if (blank !== -1) return raw.subarray(0, blank + 2);
  return raw.length > 0 && !raw.subarray(-2).equals(Buffer.from(CRLF)) ? Buffer.concat([raw, Buffer.from(CRLF)]) : raw;
}

/** At most cap bytes of whole header fields (a field longer than the cap is cut at a line). */
function capHeader(header: Buffer, cap: number): Buffer {
  if (header.length <= cap) return header;
  let lineEnd = 0;
  let fieldEnd = 0;
  for (let pos = 0; pos < cap; ) {
    const nl = header.indexOf(0x0a, pos);
    if (nl === -1 || nl + 1 > cap) break;
    const next = header[nl + 1];
    lineEnd = nl + 1;
    if (next !== 0x20 && next !== 0x09) fieldEnd = lineEnd;
    pos = nl + 1;
  }
  return header.subarray(0, fieldEnd > 0 ? fieldEnd : lineEnd);
}

/** How the bytes can be labelled (RFC 2045 §2.7-2.9): 8bit for high bytes, binary for NUL or lines over 998. */
function transferClass(body: Buffer): Encoding {
  let eightBit = false;
  let lineStart = 0;
  for (let i = 0; i < body.length; i++) {
    const b = body[i] ?? 0;
    if (b === 0x0a) {
      if (i - lineStart > 999) return 'binary';
      lineStart = i + 1;
    } else if (b === 0) return 'binary';
    else if (b >= 0x80) eightBit = true;
  }
  if (body.length - lineStart > 998) return 'binary';
  return eightBit ? '8bit' : '7bit';
}

function widest(encodings: Encoding[]): Encoding {
  if (encodings.includes('binary')) return 'binary';
  return encodings.includes('8bit') ? '8bit' : '7bit';
}

/**
 * A boundary derived from the content (so equal input gives equal output) that occurs nowhere in it: "=_" cannot
 * appear in quoted-printable, and the check covers the 7bit and 8bit parts, the original message included.
 */
function chooseBoundary(chunks: Buffer[]): string {
  const hash = createHash('sha256');
  for (const chunk of chunks) hash.update(chunk);
  const seed = hash.digest('hex');
  for (let i = 0; ; i++) {
    const boundary = `=_dsn_${createHash('sha256').update(`${seed}:${i}`).digest('hex').slice(0, 32)}`;
    if (!chunks.some((chunk) => chunk.includes(boundary, 0, 'latin1'))) return boundary;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Dates

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

function validDate(date: Date | undefined): Date | null {
  return date instanceof Date && Number.isFinite(date.getTime()) ? date : null;
}

/** RFC 5322 §3.3 date-time in UTC: "Tue, 03 Mar 2026 10:00:00 +0000". */
function rfc5322Date(d: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return (
    `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ` +
    `${String(d.getUTCFullYear()).padStart(4, '0')} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:` +
    `${two(d.getUTCSeconds())} +0000`
  );
}
