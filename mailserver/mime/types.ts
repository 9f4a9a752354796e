/**
 * What the store keeps about a message after parsing it once at delivery.
 * FETCH, SEARCH, SORT and THREAD work from this and from byte ranges of the raw
 * message; they never parse the whole message again.
 */

/** One address of an IMAP ENVELOPE (RFC 9051 §7.5.2); raw header text, not decoded. */
export interface EnvelopeAddress {
  name: string | null;
  adl: string | null;
  mailbox: string | null;
  host: string | null;
}

/**
 * ENVELOPE fields hold the header values as they appear in the message
 * (encoded-words stay encoded), as IMAP requires.
 * Group syntax follows RFC 9051: a start marker {mailbox: group name, host: null}
 * and an end marker {mailbox: null, host: null}.
 */
export interface ImapEnvelope {
  date: string | null;
  subject: string | null;
  from: EnvelopeAddress[];
  sender: EnvelopeAddress[];
  replyTo: EnvelopeAddress[];
  to: EnvelopeAddress[];
  cc: EnvelopeAddress[];
  bcc: EnvelopeAddress[];
  inReplyTo: string | null;
  messageId: string | null;
}

export interface ContentDisposition {
  type: string;
  params: Record<string, string>;
}

/** One node of the MIME tree, with byte offsets into the raw message. */
export interface MimePart {
  /** IMAP section path: "1", "1.2", "2.1.3". The top-level part of a single-part message is "1". */
  path: string;
  /** Lower-case media type and subtype, e.g. "text" / "plain"; defaults per RFC 2045 when absent. */
  type: string;
  subtype: string;
  /** Content-Type parameters with lower-case names, RFC 2231 continuations joined, values decoded. */
  params: Record<string, string>;
  id: string | null;
  description: string | null;
  /** Content-Transfer-Encoding, upper-case; "7BIT" when absent. */
  encoding: string;
  disposition: ContentDisposition | null;
  language: string[] | null;
  location: string | null;
  md5: string | null;
  /** Byte offset where this part's header starts (for the root: 0). */
  headerStart: number;
  /** Byte offset where this part's body starts (just after the blank line ending the header). */
  bodyStart: number;
  /** Byte offset just past this part's body. */
  bodyEnd: number;
  /** Number of lines in the body (reported for text/* and message/rfc822). */
  lines: number;
  /** Children of a multipart, or the single embedded message of a message/rfc822 (its root). */
  children: MimePart[];
  /** For message/rfc822 (and message/global): the embedded message's envelope. */
  envelope?: ImapEnvelope;
}

export interface ParsedMessage {
  /** Byte length of the raw message (RFC822.SIZE). */
  size: number;
  /**
   * The message's own MIME node (type/subtype of the whole message). Its headerStart is 0 and its bodyStart is the
   * end of the top-level header. For a multipart message its children are parts "1", "2", …
   */
  root: MimePart;
  envelope: ImapEnvelope;
  /** Message-ID without angle brackets, or null. */
  messageId: string | null;
  /** Message-IDs (no angle brackets) from In-Reply-To and References, in header order. */
  inReplyTo: string[];
  references: string[];
  /** Decoded Subject (encoded-words decoded), "" when absent. */
  subject: string;
  /** RFC 5256 §2.1 base subject, for SORT SUBJECT and THREAD ORDEREDSUBJECT. */
  baseSubject: string;
  /** Date header as epoch milliseconds, or null when absent or unparseable. */
  sentDate: number | null;
  /** Decoded address headers as readable text, for SEARCH FROM/TO/CC/BCC (e.g. 'Jane Doe <jane@example.com>'). */
  from: string;
  to: string;
  cc: string;
  bcc: string;
  /** RFC 5256 sort keys: lower-case addr-mailbox of the first address ("" when none). */
  sortFrom: string;
  sortTo: string;
  sortCc: string;
  /** RFC 5957 DISPLAYFROM / DISPLAYTO keys: display name of the first address, or its address. */
  displayFrom: string;
  displayTo: string;
  /** RFC 8970 preview: plain text, whitespace collapsed, at most 200 characters. */
  preview: string;
  /** Decoded text of the text parts (HTML turned into text), bounded, for the full-text index. */
  searchText: string;
  /** Every decoded header as "Name: value" lines, bounded, for SEARCH HEADER. */
  headerText: string;
  hasAttachment: boolean;
}

/** A BODY[...] / BINARY[...] section as the IMAP parser produces it. */
export interface SectionSpec {
  /** Part numbers, e.g. [1, 2] for "1.2"; [] for the whole message. */
  part: number[];
  /** What of that part: all of it, its header (or selected fields), its text, or its MIME header. */
  kind: 'ALL' | 'HEADER' | 'HEADER.FIELDS' | 'HEADER.FIELDS.NOT' | 'TEXT' | 'MIME';
  /** Header field names for HEADER.FIELDS[.NOT]. */
  fields?: string[];
}
