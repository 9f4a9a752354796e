/**
 * One pass over the raw bytes that finds every part's header and body by byte offset.
 *
 * Why not mailsplit's Splitter: IMAP needs exact offsets of every part, and the Splitter's chunk stream is not
 * lossless on malformed input (a part holding only a header is dropped or emitted twice), so offsets derived
 * from it drift; mailsplit 5.4.6 also re-splices folded header lines quadratically (a 0.8 MB header took 80 s).
 * This scanner only locates lines, blank lines and boundary delimiters; what the header fields mean is
 * decided by part-headers.ts with libmime.
 *
 * Structure rules (RFC 2046 §5.1.1, RFC 9051 §6.4.5):
 * - a delimiter line is "--" boundary [ "--" ] followed only by whitespace; the line break before it belongs
 *   to the delimiter, so a part's body ends before that line break;
 * - a delimiter of any open multipart closes every part nested deeper, so a missing close-delimiter
 *   costs only the inner multipart;
 * - message/rfc822 (and message/global) bodies are parsed in place as messages; their root is the only child.
 * The pass is iterative (no recursion) and every loop is bounded by LIMITS.
 */
import { LIMITS } from './limits.ts';
import { HeaderFieldCollector, isBlankLine, type HeaderField } from './header-fields.ts';
import { describePart, type MimeHeaderBudget } from './part-headers.ts';
import type { MimePart } from './types.ts';

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const TAB = 0x09;
const DASH = 0x2d;

export interface ScanResult {
  root: MimePart;
  /** Header fields of each part (empty for synthetic parts); embedded messages' envelopes are built from these. */
  fields: Map<MimePart, HeaderField[]>;
  /** Parts that are not in the message but keep the tree well-formed (see synthesizeChild). */
  synthetic: Set<MimePart>;
}

export function scanMime(raw: Buffer): ScanResult {
  return new MimeScanner(raw).run();
}

/** True for the message types whose body is itself a message (RFC 2046 §5.2.1, RFC 6532 §3.7). */
export function isMessageType(part: Pick<MimePart, 'type' | 'subtype'>): boolean {
  return part.type === 'message' && (part.subtype === 'rfc822' || part.subtype === 'global');
}

/** An embedded message can only be parsed in place when its bytes are not transfer-encoded. */
function isIdentityEncoding(encoding: string): boolean {
  return encoding === '7BIT' || encoding === '8BIT' || encoding === 'BINARY';
}

interface Frame {
  part: MimePart;
  /** Non-null while the part's header block is being read. */
  collector: HeaderFieldCollector | null;
  /** Index of the first body line, for the line count. */
  bodyLine: number;
  /** Boundary parameter of a multipart (latin1 string, as delimiter lines are read). */
  declaredBoundary: string | null;
  /** The boundary while registered as an open multipart. */
  boundary: string | null;
  /** Frame index previously registered for the same boundary, restored when this one closes. */
  shadowed: number | undefined;
  /** Set once the close-delimiter was seen: the rest is epilogue. */
  closed: boolean;
  /** For the root of a (possibly embedded) message: the path its own path derives from. */
  messagePrefix: string | null;
  /** Path prefix of this part's children. */
  childPrefix: string;
  defaultType: string;
}

interface DelimiterHit {
  frame: number;
  close: boolean;
}

class MimeScanner {
  private readonly stack: Frame[] = [];
  private readonly boundaries = new Map<string, number>();
  private readonly fields = new Map<MimePart, HeaderField[]>();
  private readonly synthetic = new Set<MimePart>();
  private lineNo = 0;
  private partCount = 0;
  private readonly headerBudget: MimeHeaderBudget = { remaining: LIMITS.mimeHeaderBudget };

  constructor(private readonly raw: Buffer) {}

  run(): ScanResult {
    const root = this.openPart(0, null, '', 'text/plain');
    const raw = this.raw;
    const end = raw.length;
    let pos = 0;
    while (pos < end) {
      const nl = raw.indexOf(LF, pos);
      const lineEnd = nl === -1 ? end : nl + 1;
      this.line(pos, lineEnd);
      this.lineNo++;
      pos = lineEnd;
    }
    while (this.stack.length > 0) this.closeTop(end, end);
    return { root, fields: this.fields, synthetic: this.synthetic };
  }

  private line(start: number, end: number): void {
    const raw = this.raw;
    if (this.boundaries.size > 0 && raw[start] === DASH && raw[start + 1] === DASH) {
      const hit = this.matchDelimiter(start, end);
      if (hit) {
        this.delimiter(hit, start, end);
        return;
      }
    }
    const top = this.stack[this.stack.length - 1];
    if (!top || !top.collector) return; // a body line: nothing to do but count it
    if (isBlankLine(raw, start, end)) this.endHeader(top, end);
    else top.collector.addLine(start, end);
  }

  private matchDelimiter(start: number, end: number): DelimiterHit | null {
    const raw = this.raw;
    let e = end;
    if (raw[e - 1] === LF) e--;
    if (e > start && raw[e - 1] === CR) e--;
    while (e > start + 2 && (raw[e - 1] === SP || raw[e - 1] === TAB)) e--;
    if (e - start > LIMITS.maxDelimiterLine) return null;
    const candidate = raw.toString('latin1', start + 2, e);
    const open = this.boundaries.get(candidate);
    if (open !== undefined) return { frame: open, close: false };
    if (candidate.endsWith('--')) {
      const closing = this.boundaries.get(candidate.slice(0, -2));
      if (closing !== undefined) return { frame: closing, close: true };
    }
    return null;
  }

  private delimiter(hit: DelimiterHit, start: number, end: number): void {
    const bodyEnd = start - eolBefore(this.raw, start);
    while (this.stack.length - 1 > hit.frame) this.closeTop(bodyEnd, start);
    const frame = this.stack[hit.frame];
    if (!frame || frame.closed) return; // a delimiter in the epilogue is just text
    if (hit.close || this.partCount >= LIMITS.maxParts) {
      // Past the part limit the rest is treated as epilogue: kept in the multipart's body, not split further.
      frame.closed = true;
      return;
    }
    const index = frame.part.children.length + 1;
    const childDefault = frame.part.subtype === 'digest' ? 'message/rfc822' : 'text/plain';
    const child = this.openPart(end, frame, null, childDefault);
    child.path = frame.childPrefix + String(index);
  }

  private openPart(headerStart: number, parent: Frame | null, messagePrefix: string | null, defaultType: string): MimePart {
    const part = emptyPart(headerStart);
    parent?.part.children.push(part);
    this.stack.push({
      part,
      collector: new HeaderFieldCollector(this.raw, headerStart, LIMITS.maxFieldsPerPart, LIMITS.maxHeaderBytesPerPart),
      bodyLine: 0,
      declaredBoundary: null,
      boundary: null,
      shadowed: undefined,
      closed: false,
      messagePrefix,
      childPrefix: '',
      defaultType,
    });
    this.partCount++;
    return part;
  }

  /** The blank line ending the header was seen: decide how the body is read. */
  private endHeader(frame: Frame, bodyStart: number): void {
    this.finishHeader(frame, bodyStart, this.lineNo + 1);
    const part = frame.part;
    if (this.stack.length >= LIMITS.maxDepth) return; // deeper structure stays an opaque body
    if (part.type === 'multipart') {
      if (frame.declaredBoundary) this.registerBoundary(frame, frame.declaredBoundary);
    } else if (isMessageType(part) && isIdentityEncoding(part.encoding) && this.partCount < LIMITS.maxParts) {
      this.openPart(bodyStart, frame, part.path, 'text/plain');
    }
  }

  private finishHeader(frame: Frame, bodyStart: number, bodyLine: number): void {
    const part = frame.part;
    const fields = frame.collector?.fields ?? [];
    frame.collector = null;
    frame.bodyLine = bodyLine;
    part.bodyStart = bodyStart;
    part.bodyEnd = bodyStart;
    this.fields.set(part, fields);
    const info = describePart(this.raw, fields, frame.defaultType, this.headerBudget);
    part.type = info.type;
    part.subtype = info.subtype;
    part.params = info.params;
    part.id = info.id;
    part.description = info.description;
    part.encoding = info.encoding;
    part.disposition = info.disposition;
    part.language = info.language;
    part.location = info.location;
    part.md5 = info.md5;
    // Delimiter lines are compared as latin1 strings; the header value was read as UTF-8.
    frame.declaredBoundary = info.boundary ? Buffer.from(info.boundary, 'utf8').toString('latin1') : null;
    this.assignPaths(frame);
  }

  /**
   * RFC 9051 §6.4.5 numbering: a message whose root is multipart numbers its parts prefix.1, prefix.2 …
   * and is itself addressed by the prefix; a non-multipart root is part prefix.1 ("1" at top level).
   */
  private assignPaths(frame: Frame): void {
    const part = frame.part;
    const multipart = part.type === 'multipart';
    if (frame.messagePrefix !== null) {
      const prefix = frame.messagePrefix;
      part.path = multipart ? prefix : prefix === '' ? '1' : `${prefix}.1`;
      frame.childPrefix = prefix === '' ? '' : `${prefix}.`;
    } else {
      frame.childPrefix = `${part.path}.`;
    }
  }

  private registerBoundary(frame: Frame, boundary: string): void {
    frame.boundary = boundary;
    frame.shadowed = this.boundaries.get(boundary);
    this.boundaries.set(boundary, this.stack.length - 1);
  }

  /** Ends the innermost open part at bodyEnd; terminatorStart is where the line that ended it begins. */
  private closeTop(bodyEnd: number, terminatorStart: number): void {
    const frame = this.stack.pop();
    if (!frame) return;
    // A part that never reached its blank line has only a header; its body is empty.
    if (frame.collector) this.finishHeader(frame, terminatorStart, this.lineNo);
    const part = frame.part;
    // When a delimiter directly follows the blank line ending the header (or a header without blank line), the
    // line break before it belongs to the delimiter: the body is empty and the header ends before that break.
    // An empty part right before the delimiter shares that line break with its own delimiter line; the parent
    // then ends where the child does, so children always stay inside their parents.
    const lastChild = part.children[part.children.length - 1];
    const end = Math.max(part.headerStart, bodyEnd, lastChild ? lastChild.bodyEnd : 0);
    part.bodyStart = Math.min(part.bodyStart, end);
    part.bodyEnd = end;
    part.lines = this.countLines(frame, terminatorStart);
    if (frame.boundary !== null) {
      if (frame.shadowed === undefined) this.boundaries.delete(frame.boundary);
      else this.boundaries.set(frame.boundary, frame.shadowed);
    }
    if (part.children.length === 0 && (part.type === 'multipart' || isMessageType(part))) {
      this.synthesizeChild(frame);
    }
  }

  /**
   * Lines of the body: those starting before bodyEnd. The scanner has seen lines bodyLine … lineNo-1, up to the
   * terminator; when a delimiter follows an empty line, that empty line starts exactly at bodyEnd (its line
   * break belongs to the delimiter) and is not part of the body.
   */
  private countLines(frame: Frame, terminatorStart: number): number {
    const { bodyStart, bodyEnd } = frame.part;
    if (bodyEnd <= bodyStart) return 0;
    const lineStartsAtEnd = bodyEnd < terminatorStart && this.raw[bodyEnd - 1] === LF;
    return this.lineNo - frame.bodyLine - (lineStartsAtEnd ? 1 : 0);
  }

  /**
   * BODYSTRUCTURE needs at least one child for a multipart and an embedded message for message/rfc822. When
   * the message has none (no boundary, no delimiter, transfer-encoded or too deeply nested embedded message),
   * the body becomes one text/plain part with an empty header, so clients still get at the bytes.
   */
  private synthesizeChild(frame: Frame): void {
    const parent = frame.part;
    const child = emptyPart(parent.bodyStart);
    child.bodyEnd = parent.bodyEnd;
    child.lines = parent.lines;
    child.path = parent.type === 'multipart' ? `${frame.childPrefix}1` : `${parent.path}.1`;
    parent.children.push(child);
    this.fields.set(child, []);
    this.synthetic.add(child);
  }
}

function emptyPart(headerStart: number): MimePart {
  return {
    path: '',
    type: 'text',
    subtype: 'plain',
    params: {},
    id: null,
    description: null,
    encoding: '7BIT',
    disposition: null,
    language: null,
    location: null,
    md5: null,
    headerStart,
    bodyStart: headerStart,
    bodyEnd: headerStart,
    lines: 0,
    children: [],
  };
}

/** Length of the line break just before pos (CRLF, LF or none). */
function eolBefore(raw: Buffer, pos: number): number {
  if (pos < 1 || raw[pos - 1] !== LF) return 0;
  return pos >= 2 && raw[pos - 2] === CR ? 2 : 1;
}
