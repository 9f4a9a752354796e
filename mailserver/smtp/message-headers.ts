import { randomBytes } from 'node:crypto';

/** The header block (up to and including the blank line) and the body of a raw message. */
export interface SplitMessage {
  /** Header fields as latin1 text, each line ending in CRLF, without the separating blank line. */
  header: string;
  body: Buffer;
}

export function splitMessage(raw: Buffer): SplitMessage {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) {
    // Headers only (or nothing): the whole message is header, the body is empty.
    const text = raw.toString('latin1');
    return { header: text.endsWith('\r\n') || text === '' ? text : `${text}\r\n`, body: Buffer.alloc(0) };
  }
  return { header: raw.subarray(0, end + 2).toString('latin1'), body: raw.subarray(end + 4) };
}

export function joinMessage(message: SplitMessage): Buffer {
  return Buffer.concat([Buffer.from(message.header, 'latin1'), Buffer.from('\r\n'), message.body]);
}

/** Header fields in order, each with its continuation lines; names are only ever compared, never used as keys. */
export function headerFields(header: string): Array<{ name: string; text: string }> {
  const fields: Array<{ name: string; text: string }> = [];
  for (const line of header.split(/(?<=\r\n)/)) {
    if (line === '') continue;
    const last = fields.at(-1);
    if ((line.startsWith(' ') || line.startsWith('\t')) && last) {
      last.text += line;
      continue;
    }
    const colon = line.indexOf(':');
    fields.push({ name: (colon > 0 ? line.slice(0, colon) : '').trim().toLowerCase(), text: line });
  }
  return fields;
}

export function hasHeader(header: string, name: string): boolean {
  const wanted = name.toLowerCase();
  return headerFields(header).some((f) => f.name === wanted);
}

/** The first value of a header, unfolded, or null. */
export function headerValue(header: string, name: string): string | null {
  const wanted = name.toLowerCase();
  const field = headerFields(header).find((f) => f.name === wanted);
  if (!field) return null;
  return field.text.slice(field.text.indexOf(':') + 1).replace(/\r\n[ \t]/g, ' ').trim();
}

export function removeHeader(header: string, name: string): string {
  const wanted = name.toLowerCase();
  return headerFields(header)
    .filter((f) => f.name !== wanted)
    .map((f) => f.text)
    .join('');
}

/** RFC 5322 date-time in UTC, e.g. "Sat, 28 Nov 2026 10:00:00 +0000". */
export function rfc5322Date(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}

export function newMessageId(hostname: string): string {
  return `<${Date.now().toString(36)}.${randomBytes(8).toString('hex')}@${hostname}>`;
}
