/**
 * Bounds on the work parseMessage does for one message. Messages arrive from the network, so every loop whose
 * length depends on the input is capped here; each constant names the blow-up it prevents.
 */
export const LIMITS = {
  /** Deeper multipart or message/rfc822 nesting is kept as an opaque leaf (no real mail nests this deep). */
  maxDepth: 50,
  /** Parts beyond this count are not split out; the remaining bytes stay in the last open part. */
  maxParts: 10_000,
  /** Header fields remembered per part; a header block of 100,000 lines is still scanned but not stored. */
  maxFieldsPerPart: 5_000,
  /** Header bytes per part from which fields are remembered. */
  maxHeaderBytesPerPart: 256 * 1024,
  /** Longest header value handed to a structured-value parser (Content-Type, Subject, Date …). */
  maxStructuredValue: 16 * 1024,
  /**
   * MIME header bytes (Content-Type, Content-Disposition …) parsed per message over all parts; past it each value
   * is cut to minStructuredValue, so 10,000 parts with huge parameter lists cannot cost 10,000 full parses.
   */
  mimeHeaderBudget: 512 * 1024,
  minStructuredValue: 256,
  /** Longest address header value handed to the address parser, about 1,000 addresses. */
  maxAddressValue: 64 * 1024,
  /** Addresses kept per address header. */
  maxAddressesPerHeader: 1_000,
  /** Address header bytes parsed per message, over the message and all its embedded messages. */
  addressBudget: 256 * 1024,
  /** Message-IDs kept from References / In-Reply-To. */
  maxReferences: 1_000,
  /** Longest delimiter line considered: "--", a 70-char boundary with slack for non-conforming senders, "--", WSP. */
  maxDelimiterLine: 2 + 200 + 2 + 998,
  /** Characters of decoded body text kept for the full-text index. */
  maxSearchText: 1024 * 1024,
  /** Characters of decoded header text kept for SEARCH HEADER. */
  maxHeaderText: 256 * 1024,
  /** RFC 8970 preview length in characters. */
  maxPreview: 200,
  /** Source characters of a text part decoded just to build a preview when the search budget is used up. */
  previewSourceChars: 64 * 1024,
} as const;
