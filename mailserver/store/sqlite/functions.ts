import type { Database } from 'better-sqlite3';

/** Case-insensitive substring test with full Unicode case folding (SQLite's LIKE folds ASCII only). */
export function containsCaseInsensitive(haystack: string, needle: string): boolean {
  return haystack.toLocaleLowerCase('und').includes(needle.toLocaleLowerCase('und'));
}

/** SEARCH HEADER: some "name: value" line of the decoded header text has the field name and contains the value. */
export function headerMatches(headerText: string, name: string, value: string): boolean {
  const prefix = name.toLowerCase() + ':';
  for (const line of headerText.split('\n')) {
    if (line.length < prefix.length || line.slice(0, prefix.length).toLowerCase() !== prefix) continue;
    if (value === '' || containsCaseInsensitive(line.slice(prefix.length), value)) return true;
  }
  return false;
}

export function registerFunctions(db: Database): void {
  db.function('contains_ci', { deterministic: true }, (h: unknown, n: unknown) =>
    containsCaseInsensitive(String(h ?? ''), String(n ?? '')) ? 1 : 0,
  );
  db.function('header_match', { deterministic: true }, (t: unknown, n: unknown, v: unknown) =>
    headerMatches(String(t ?? ''), String(n ?? ''), String(v ?? '')) ? 1 : 0,
  );
}
