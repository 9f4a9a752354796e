/**
 * IMAP `date` and `date-time` (RFC 9051 §9) to epoch milliseconds and back.
 * Parsing validates the calendar (no 30 February) because a silently rolled-over date would make SEARCH
 * and APPEND quietly wrong.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
const MONTH_INDEX = new Map<string, number>(MONTHS.map((m, i) => [m.toUpperCase(), i]));

function daysInMonth(year: number, month: number): number {
  if (month === 1) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month] ?? 0;
}

/** UTC epoch ms of a calendar day; avoids Date.UTC mapping years 0-99 to 1900-1999. */
function utcDay(year: number, month: number, day: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month, day);
  return d.getTime();
}

function parseDayMonthYear(day: string, mon: string, year: string): number | null {
  const m = MONTH_INDEX.get(mon.toUpperCase());
  if (m === undefined) return null;
  const y = Number(year);
  const d = Number(day);
  if (y < 1 || d < 1 || d > daysInMonth(y, m)) return null;
  return utcDay(y, m, d);
}

/**
 * Parses `date-text` ("1-Feb-1994", "01-Feb-1994"); surrounding double quotes are accepted.
 * Returns the UTC midnight that starts the day, or null when invalid.
 */
export function parseImapDate(text: string): number | null {
  const s = text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
  const m = /^([0-9]{1,2})-([A-Za-z]{3})-([0-9]{4})$/.exec(s);
  if (m === null) return null;
  return parseDayMonthYear(m[1] ?? '', m[2] ?? '', m[3] ?? '');
}

/**
 * Parses the inside of a quoted `date-time` ("17-Jul-1996 02:44:25 -0700"). The day may be " 7", "07" or "7".
 * Returns epoch ms, or null when invalid.
 */
export function parseImapDateTime(text: string): number | null {
  const m = /^ ?([0-9]{1,2})-([A-Za-z]{3})-([0-9]{4}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) ([+-])([0-9]{2})([0-9]{2})$/.exec(
    text,
  );
  if (m === null) return null;
  const day = parseDayMonthYear(m[1] ?? '', m[2] ?? '', m[3] ?? '');
  if (day === null) return null;
  const hh = Number(m[4]);
  const mm = Number(m[5]);
  const ss = Number(m[6]);
  const zh = Number(m[8]);
  const zm = Number(m[9]);
  // 60 seconds is a leap second, which RFC 5322 allows and JavaScript time folds into the next minute.
  if (hh > 23 || mm > 59 || ss > 60 || zh > 23 || zm > 59) return null;
  const offset = (m[7] === '-' ? -1 : 1) * (zh * 60 + zm);
  return day + ((hh * 60 + mm - offset) * 60 + ss) * 1000;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * Formats epoch ms as an IMAP date-time without quotes: `17-Jul-1996 09:44:25 +0000` (day space-padded,
 * as date-day-fixed requires). `offsetMinutes` shifts the shown local time and zone (default UTC).
 */
export function formatImapDateTime(ms: number, offsetMinutes = 0): string {
  const d = new Date(ms + offsetMinutes * 60000);
  const day = d.getUTCDate();
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const year = String(d.getUTCFullYear()).padStart(4, '0');
  return (
    `${day < 10 ? ` ${day}` : day}-${MONTHS[d.getUTCMonth()]}-${year} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} ` +
    `${sign}${pad2(Math.floor(abs / 60))}${pad2(abs % 60)}`
  );
}

/** Formats epoch ms as an IMAP date (`1-Feb-1994`), using the UTC day. */
export function formatImapDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCDate()}-${MONTHS[d.getUTCMonth()]}-${String(d.getUTCFullYear()).padStart(4, '0')}`;
}
