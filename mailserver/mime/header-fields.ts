/**
 * Header fields located by byte offset. The scanner records where each field lies so that values are only
 * turned into strings for the few fields somebody asks about, and section.ts can copy fields byte for byte.
 */

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const TAB = 0x09;
const COLON = 0x3a;

export interface HeaderField {
  /** Lower-case field name, "" for a line without a colon (kept so its continuation lines have an owner). */
  name: string;
  /** Offset of the field's first byte. */
  start: number;
  /** Offset just past the colon (equal to start for a nameless line). */
  valueStart: number;
  /** Offset just past the last line of the field, including its line break. */
  end: number;
}

/** True when the line [start, end) continues the previous field (RFC 5322 §2.2.3 folding). */
export function isContinuationLine(raw: Buffer, start: number, end: number): boolean {
  if (start >= end) return false;
  const c = raw[start];
  return c === SP || c === TAB;
}

/** True when [start, end) is an empty line, i.e. the blank line ending a header block. */
export function isBlankLine(raw: Buffer, start: number, end: number): boolean {
  const len = end - start;
  if (len === 1) return raw[start] === LF;
  if (len === 2) return raw[start] === CR && raw[start + 1] === LF;
  return false;
}

/** Offset of the colon ending the field name on this line, or -1 when the line has none. */
export function colonOffset(raw: Buffer, start: number, end: number): number {
  const at = raw.indexOf(COLON, start);
  return at === -1 || at >= end ? -1 : at;
}

/** Lower-case, trimmed field name of a header line (obsolete syntax allows WSP before the colon). */
export function fieldNameOf(raw: Buffer, start: number, colon: number): string {
  return raw.toString('latin1', start, colon).trim().toLowerCase();
}

/**
 * Collects the fields of one header block line by line, up to the per-part limits. Lines past the limits are
 * still accepted (the block must be scanned to its end) but not remembered.
 */
export class HeaderFieldCollector {
  readonly fields: HeaderField[] = [];
  /** Whether the most recent field line was stored, so its continuation lines extend the right field. */
  private lastStored = false;

  constructor(
    private readonly raw: Buffer,
    private readonly blockStart: number,
    private readonly maxFields: number,
    private readonly maxBytes: number,
  ) {}

  addLine(start: number, end: number): void {
    if (isContinuationLine(this.raw, start, end)) {
      const last = this.fields[this.fields.length - 1];
      if (this.lastStored && last) last.end = end;
      return;
    }
    if (this.fields.length >= this.maxFields || start - this.blockStart >= this.maxBytes) {
      this.lastStored = false;
      return;
    }
    const colon = colonOffset(this.raw, start, end);
    const field: HeaderField =
      colon === -1
        ? { name: '', start, valueStart: start, end }
        : { name: fieldNameOf(this.raw, start, colon), start, valueStart: colon + 1, end };
    this.fields.push(field);
    this.lastStored = true;
  }
}

/** First field with this (lower-case) name. */
export function firstField(fields: readonly HeaderField[], name: string): HeaderField | undefined {
  for (const f of fields) if (f.name === name) return f;
  return undefined;
}

/**
 * The field's value unfolded (line breaks before folding whitespace removed, RFC 5322 §2.2.3) and trimmed, read as
 * UTF-8 (RFC 6532 allows raw UTF-8 in headers). At most maxBytes of the value are read, so a hostile multi-megabyte
 * field costs no more than a short one.
 */
export function fieldValue(raw: Buffer, field: HeaderField, maxBytes: number): string {
  const end = Math.min(field.end, field.valueStart + maxBytes);
  const text = raw.toString('utf8', field.valueStart, end);
  return unfold(text).trim();
}

/** The field's name as written in the message. */
export function fieldDisplayName(raw: Buffer, field: HeaderField): string {
  if (field.valueStart === field.start) return '';
  return raw.toString('latin1', field.start, field.valueStart - 1).trim();
}

/** Removes folding line breaks; any other stray CR/LF (e.g. the field's final line break) becomes nothing. */
export function unfold(text: string): string {
  if (text.indexOf('\n') === -1 && text.indexOf('\r') === -1) return text;
  return text.replace(/\r?\n|\r/g, '');
}
