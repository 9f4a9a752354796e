/** Small header value grammars the store indexes: dates (RFC 5322 §3.3) and message-id lists (§3.6.4). */

/** Date values longer than this are not dates; the cap bounds the parser's work. */
const MAX_DATE = 200;

/** Epoch milliseconds of a Date header value, or null when absent or unparseable. */
export function parseDate(value: string | null): number | null {
  if (!value) return null;
  // Comments such as "(EDT)" are legal after the zone but confuse Date.parse.
  const cleaned = value.slice(0, MAX_DATE).replace(/\([^()]*\)/g, ' ').trim();
  const ms = Date.parse(cleaned);
  return Number.isFinite(ms) ? ms : null;
}

/** Message-IDs without angle brackets, in order, at most max of them. Whitespace inside brackets is dropped. */
export function messageIds(value: string | null, max: number): string[] {
  if (!value) return [];
  const ids: string[] = [];
  for (const match of value.matchAll(/<([^<>]*)>/g)) {
    if (ids.length >= max) break;
    const id = (match[1] ?? '').replace(/\s+/g, '');
    if (id) ids.push(id);
  }
  // Some senders omit the brackets; a single bare token is still a usable id.
  if (ids.length === 0 && !/[\s<>]/.test(value.trim()) && value.trim() !== '') ids.push(value.trim());
  return ids;
}

/** The Message-ID of a message: its first id, or null. */
export function firstMessageId(value: string | null): string | null {
  return messageIds(value, 1)[0] ?? null;
}
