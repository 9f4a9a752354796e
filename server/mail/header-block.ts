import { decodeWordsSafe } from '../../mailserver/mime/part-headers.ts';

export interface HeaderLine {
  name: string;
  value: string;
}

/**
 * A raw header block as name/value pairs in message order, unfolded and with encoded words decoded.
 * Raw 8-bit headers are read as UTF-8 (RFC 6532); invalid UTF-8 falls back to Latin-1 rather than
 * replacement characters. At most `maxFields`, each value at most `maxValue` characters.
 */
export function parseHeaderBlock(raw: Buffer, maxFields = 500, maxValue = 16_384): HeaderLine[] {
  let text = raw.toString('utf8');
  if (text.includes('\uFFFD')) text = raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  if (end >= 0) text = text.slice(0, end);
  const fields: HeaderLine[] = [];
  let current: { name: string; parts: string[] } | null = null;
  const flush = () => {
    if (current && fields.length < maxFields) fields.push({ name: current.name, value: decodeWordsSafe(current.parts.join(' ').replace(/\s+/g, ' ').trim()).slice(0, maxValue) });
    current = null;
  };
  for (const line of text.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && current) {
      current.parts.push(line.trim());
      continue;
    }
    flush();
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    current = { name: line.slice(0, colon).trim(), parts: [line.slice(colon + 1).trim()] };
  }
  flush();
  return fields;
}

export function headerValue(headers: HeaderLine[], name: string): string | null {
  const lower = name.toLowerCase();
  return headers.find((h) => h.name.toLowerCase() === lower)?.value ?? null;
}
