/**
 * A search query in store terms. The IMAP layer resolves sequence numbers, $ and \Recent into UID sets
 * before handing a query over, so every backend answers the same language.
 */
export type TextField = 'text' | 'body' | 'subject' | 'from' | 'to' | 'cc' | 'bcc';
export type DateField = 'internal' | 'sent' | 'save';
export type DateComparison = 'before' | 'on' | 'since';

export interface UidRange {
  from: number;
  to: number;
}

export type SearchNode =
  | { op: 'all' }
  | { op: 'none' }
  | { op: 'and'; nodes: SearchNode[] }
  | { op: 'or'; left: SearchNode; right: SearchNode }
  | { op: 'not'; node: SearchNode }
  | { op: 'uid'; ranges: UidRange[] }
  /** System flag (\Seen …) or keyword; matched case-insensitively. */
  | { op: 'flag'; flag: string }
  | { op: 'text'; field: TextField; value: string }
  | { op: 'header'; name: string; value: string }
  /** `day` is the UTC midnight (epoch ms) of the IMAP date; comparisons ignore time of day. */
  | { op: 'date'; field: DateField; comparison: DateComparison; day: number }
  | { op: 'larger'; bytes: number }
  | { op: 'smaller'; bytes: number }
  | { op: 'modseq'; min: number }
  | { op: 'emailid'; id: string }
  | { op: 'threadid'; id: string }
  /** WITHIN (RFC 5032): internal date older / younger than `seconds` ago. */
  | { op: 'older'; seconds: number }
  | { op: 'younger'; seconds: number };

export const DAY_MS = 24 * 3600 * 1000;
