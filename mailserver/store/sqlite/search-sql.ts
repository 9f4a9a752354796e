import { DAY_MS, type SearchNode, type TextField } from '../search.ts';

/** A WHERE fragment over `messages m`, `contents c` and `content_extras x`, with its bound parameters. */
export interface SqlFragment {
  sql: string;
  params: unknown[];
}

const ADDRESS_COLUMNS: Partial<Record<TextField, string>> = {
  subject: 'c.subject',
  from: 'c.addr_from',
  to: 'c.addr_to',
  cc: 'c.addr_cc',
  bcc: 'c.addr_bcc',
};

/**
 * FTS5 query for a user's search string: every word must occur, each matched as a token prefix.
 * Words are quoted so that FTS5 operators in the input are plain text.
 */
export function ftsQuery(value: string, column?: 'headers' | 'body'): string | null {
  const words = value.normalize('NFKC').match(/[\p{L}\p{N}]+/gu);
  if (!words || words.length === 0) return null;
  const terms = words.map((w) => `"${w}"*`).join(' ');
  return column ? `${column} : (${terms})` : terms;
}

function likePattern(value: string): string {
  return '%' + value.replace(/[\\%_]/g, (ch) => '\\' + ch) + '%';
}

/** SQLite's LIKE folds ASCII case only; other needles go through contains_ci (functions.ts). */
function substringCondition(column: string, value: string): SqlFragment {
  if (/^[\x20-\x7e]*$/.test(value)) return { sql: `${column} LIKE ? ESCAPE '\\'`, params: [likePattern(value)] };
  return { sql: `contains_ci(${column}, ?)`, params: [value] };
}

const DATE_COLUMN = { internal: 'm.internal_date', sent: 'c.sent_date', save: 'm.save_date' } as const;

function textCondition(field: TextField, value: string): SqlFragment {
  if (value === '') return { sql: '1', params: [] };
  const column = ADDRESS_COLUMNS[field];
  if (column) return substringCondition(column, value);
  const query = ftsQuery(value, field === 'body' ? 'body' : undefined);
  // A string of punctuation only: nothing indexable, so fall back to the subject line.
  if (!query) return substringCondition('c.subject', value);
  return { sql: 'm.content_id IN (SELECT rowid FROM contents_fts WHERE contents_fts MATCH ?)', params: [query] };
}

export function compileSearch(node: SearchNode, now: number = Date.now()): SqlFragment {
  switch (node.op) {
    case 'all':
      return { sql: '1', params: [] };
    case 'none':
      return { sql: '0', params: [] };
    case 'and': {
      if (node.nodes.length === 0) return { sql: '1', params: [] };
      const parts = node.nodes.map((n) => compileSearch(n, now));
      return { sql: parts.map((p) => `(${p.sql})`).join(' AND '), params: parts.flatMap((p) => p.params) };
    }
    case 'or': {
      const l = compileSearch(node.left, now);
      const r = compileSearch(node.right, now);
      return { sql: `(${l.sql}) OR (${r.sql})`, params: [...l.params, ...r.params] };
    }
    case 'not': {
      const inner = compileSearch(node.node, now);
      return { sql: `NOT (${inner.sql})`, params: inner.params };
    }
    case 'uid': {
      if (node.ranges.length === 0) return { sql: '0', params: [] };
      return {
        sql: node.ranges.map(() => '(m.uid BETWEEN ? AND ?)').join(' OR '),
        params: node.ranges.flatMap((r) => [r.from, r.to]),
      };
    }
    case 'flag':
      return { sql: `instr(' ' || lower(m.flags) || ' ', ?) > 0`, params: [` ${node.flag.toLowerCase()} `] };
    case 'text':
      return textCondition(node.field, node.value);
    case 'header':
      // header_match is registered on the connection (see functions.ts).
      return { sql: 'header_match(x.header_text, ?, ?)', params: [node.name, node.value] };
    case 'date': {
      const column = DATE_COLUMN[node.field];
      if (node.comparison === 'before') return { sql: `${column} < ?`, params: [node.day] };
      if (node.comparison === 'since') return { sql: `${column} >= ?`, params: [node.day] };
      return { sql: `${column} >= ? AND ${column} < ?`, params: [node.day, node.day + DAY_MS] };
    }
    case 'larger':
      return { sql: 'm.size > ?', params: [node.bytes] };
    case 'smaller':
      return { sql: 'm.size < ?', params: [node.bytes] };
    case 'modseq':
      return { sql: 'm.modseq >= ?', params: [node.min] };
    case 'emailid':
      return { sql: 'm.content_id = ?', params: [objectIdNumber(node.id, 'M')] };
    case 'threadid':
      return { sql: 'c.thread_id = ?', params: [objectIdNumber(node.id, 'T')] };
    case 'older':
      return { sql: 'm.internal_date <= ?', params: [now - node.seconds * 1000] };
    case 'younger':
      return { sql: 'm.internal_date >= ?', params: [now - node.seconds * 1000] };
  }
}

/** "M123" → 123; anything else → -1, which matches no row. */
export function objectIdNumber(id: string, prefix: string): number {
  const m = new RegExp(`^${prefix}(\\d{1,15})$`).exec(id);
  return m ? Number(m[1]) : -1;
}

/** Whether a query consults the full-text index (so pending indexing must finish first). */
export function usesTextIndex(node: SearchNode): boolean {
  switch (node.op) {
    case 'text':
      return !(node.field in ADDRESS_COLUMNS);
    case 'and':
      return node.nodes.some(usesTextIndex);
    case 'or':
      return usesTextIndex(node.left) || usesTextIndex(node.right);
    case 'not':
      return usesTextIndex(node.node);
    default:
      return false;
  }
}

/** The FROM clause a condition needs: joins only the tables it mentions, since each join costs a row read per message. */
export function fromClauseFor(whereSql: string): string {
  let from = 'messages m';
  if (/\bc\./.test(whereSql)) from += ' JOIN contents c ON c.id = m.content_id';
  if (/\bx\./.test(whereSql)) from += ' JOIN content_extras x ON x.id = m.content_id';
  return from;
}
