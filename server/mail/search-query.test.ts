import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { SearchObject } from 'imapflow';
import { compiler } from 'imapflow/lib/handler/imap-handler.js';
import { searchCompiler } from 'imapflow/lib/search-compiler.js';
import { parseCommand } from '../../mailserver/imap/protocol/parser.ts';
import { frameCommands } from '../../mailserver/imap/protocol/reader.ts';
import type { SearchKey } from '../../mailserver/imap/protocol/types.ts';
import { parseSearchQuery } from './search-query.ts';

/** A Tuesday afternoon at the end of a month, so relative months have to clamp (Mar 31 - 1m = Feb 28). */
const NOW = new Date('2026-03-31T15:30:00Z');

const day = (y: number, m: number, d: number): Date => new Date(Date.UTC(y, m - 1, d));

/** searchCompiler reads `capabilities` and `enabled` only; a plain server advertises nothing relevant. */
type Connection = Parameters<typeof searchCompiler>[0];
const connection = { capabilities: new Map<string, boolean>(), enabled: new Set<string>() } as unknown as Connection;

function search(query: string, now = NOW): SearchObject {
  const result = parseSearchQuery(query, now);
  assert.ok(result.ok, `expected ${JSON.stringify(query)} to parse, got: ${result.ok ? '' : result.message}`);
  return result.search;
}

function refusal(query: string, now = NOW): string {
  const result = parseSearchQuery(query, now);
  assert.ok(!result.ok, `expected ${JSON.stringify(query)} to be refused, got ${JSON.stringify(result)}`);
  return result.message;
}

/** The SEARCH command imapflow puts on the wire for a search object. */
function wire(object: SearchObject): Buffer {
  return compiler({ tag: 'A1', command: 'SEARCH', attributes: searchCompiler(connection, object) });
}

/** How this repo's IMAP server reads that command: the search program it runs. */
function serverProgram(object: SearchObject): SearchKey {
  const events = frameCommands(Buffer.concat([wire(object), Buffer.from('\r\n')]), { maxLineBytes: 1 << 20 });
  const event = events[0];
  assert.ok(events.length === 1 && event?.type === 'command', `framing failed: ${JSON.stringify(events)}`);
  const parsed = parseCommand(event.command);
  assert.ok(parsed.ok, `server refused ${JSON.stringify(wire(object).toString())}: ${parsed.ok ? '' : parsed.error}`);
  assert.equal(parsed.command.name, 'SEARCH');
  return parsed.command.args.criteria;
}

describe('parseSearchQuery: terms', () => {
  it('maps each operator to its search key', () => {
    const cases: [string, SearchObject][] = [
      ['hello', { text: 'hello' }],
      ['"exact phrase"', { text: 'exact phrase' }],
      ['from:alice@example.com', { from: 'alice@example.com' }],
      ['to:bob', { or: [{ to: 'bob' }, { cc: 'bob' }] }],
      ['cc:carol', { cc: 'carol' }],
      ['bcc:dave', { bcc: 'dave' }],
      ['subject:"weekly sync"', { subject: 'weekly sync' }],
      ['is:unread', { seen: false }],
      ['is:read', { seen: true }],
      ['is:flagged', { flagged: true }],
      ['is:starred', { flagged: true }],
      ['is:answered', { answered: true }],
      ['is:draft', { draft: true }],
      ['has:attachment', { header: { 'content-type': 'multipart/mixed' } }],
      ['has:attachments', { header: { 'content-type': 'multipart/mixed' } }],
      ['larger:500', { larger: 500 }],
      ['smaller:500K', { smaller: 512_000 }],
      ['larger:10M', { larger: 10 * 1024 * 1024 }],
      ['larger:10mb', { larger: 10 * 1024 * 1024 }],
      ['larger:1.5k', { larger: 1536 }],
      ['smaller:1G', { smaller: 1024 ** 3 }],
    ];
    for (const [query, expected] of cases) assert.deepEqual(search(query), expected, query);
  });

  it('takes operator names and keyword values in any case, and keeps the case of searched text', () => {
    assert.deepEqual(search('FROM:Alice Is:UnRead HAS:Attachment'), {
      from: 'Alice',
      seen: false,
      header: { 'content-type': 'multipart/mixed' },
    });
  });

  it('negates any term with a leading "-"', () => {
    assert.deepEqual(search('-from:spam'), { not: { from: 'spam' } });
    assert.deepEqual(search('-"exact phrase"'), { not: { text: 'exact phrase' } });
    assert.deepEqual(search('-to:list'), { not: { or: [{ to: 'list' }, { cc: 'list' }] } });
    assert.deepEqual(search('-is:read'), { not: { seen: true } });
  });

  it('reads a "-" that negates nothing, or sits inside a word, as text', () => {
    assert.deepEqual(search('-'), { text: '-' });
    assert.deepEqual(search('well-known'), { text: 'well-known' });
  });

  it('unescapes \\" and \\\\ inside quotes and keeps other backslashes', () => {
    assert.deepEqual(search('subject:"say \\"hi\\" \\\\o/"'), { subject: 'say "hi" \\o/' });
    assert.deepEqual(search('"C:\\temp"'), { text: 'C:\\temp' });
  });

  it('drops leading backslashes, which imapflow would send unquoted', () => {
    assert.deepEqual(search('subject:\\Seen'), { subject: 'Seen' });
    assert.deepEqual(search('"\\\\server\\share"'), { text: 'server\\share' });
    refusal('\\');
  });
});

describe('parseSearchQuery: dates', () => {
  it('reads after: as inclusive SENTSINCE and before: as exclusive SENTBEFORE', () => {
    assert.deepEqual(search('after:2026-01-05'), { sentSince: day(2026, 1, 5) });
    assert.deepEqual(search('before:2026/1/5'), { sentBefore: day(2026, 1, 5) });
  });

  it('counts ages back from now in UTC days, clamping months to their end', () => {
    const cases: [string, Date][] = [
      ['0d', day(2026, 3, 31)],
      ['7d', day(2026, 3, 24)],
      ['2w', day(2026, 3, 17)],
      ['1m', day(2026, 2, 28)],
      ['3M', day(2025, 12, 31)],
      ['1y', day(2025, 3, 31)],
    ];
    for (const [age, expected] of cases) assert.deepEqual(search(`after:${age}`), { sentSince: expected }, age);
    assert.deepEqual(search('after:1y', new Date('2024-02-29T12:00:00Z')), { sentSince: day(2023, 2, 28) });
  });

  it('counts from the current time when no now is given', () => {
    const result = parseSearchQuery('after:1d');
    const since = result.ok ? result.search.sentSince : undefined;
    assert.ok(since instanceof Date);
    const hoursAgo = (Date.now() - since.getTime()) / 3_600_000;
    assert.ok(hoursAgo >= 24 && hoursAgo <= 48, `${hoursAgo}`);
  });

  it('keeps years below 100 as written (Date.UTC would turn 0099 into 1999)', () => {
    assert.deepEqual(search('before:0099-01-01'), { sentBefore: new Date('0099-01-01T00:00:00Z') });
  });
});

describe('parseSearchQuery: forgiving input', () => {
  it('treats unknown operators and operators without a value as text', () => {
    assert.deepEqual(search('re:'), { text: 're:' });
    assert.deepEqual(search('foo:bar'), { text: 'foo:bar' });
    assert.deepEqual(search('https://example.com/x'), { text: 'https://example.com/x' });
    assert.deepEqual(search('label:"two words"'), { text: 'label:two words' });
    assert.deepEqual(search('from:'), { text: 'from:' });
    assert.deepEqual(search('from:""'), { text: 'from:' });
  });

  it('runs an unterminated phrase to the end of the input', () => {
    assert.deepEqual(search('subject:"unterminated phrase'), { subject: 'unterminated phrase' });
    assert.deepEqual(search('from:"ann o'), { from: 'ann o' });
  });

  it('skips empty phrases', () => {
    assert.deepEqual(search('"" hello "  "'), { text: 'hello' });
  });

  it('splits on any whitespace and drops other control characters', () => {
    assert.deepEqual(search('from:al\u0000ice\u0007'), { from: 'alice' });
    assert.deepEqual(search('a\tb'), search('a b'));
    assert.deepEqual(search('subject:"line\r\nbreak"'), { subject: 'line  break' });
    assert.deepEqual(search('\u0085x\u007f'), { text: 'x' });
  });
});

describe('parseSearchQuery: refusals', () => {
  it('refuses a query with nothing to search for', () => {
    for (const query of ['', '   ', '\t\r\n', '""', '"', '\u0000']) refusal(query);
  });

  it('refuses invalid dates, naming the operator and value', () => {
    for (const value of ['2026-02-30', '2026-13-01', 'garbage', '2026-1-5x', '26-01-05', '2026-01/05', '99999y', '-7d']) {
      assert.match(refusal(`before:${value}`), new RegExp(`before:${value}`));
      assert.match(refusal(`after:${value}`), new RegExp(`after:${value}`));
    }
  });

  it('refuses invalid relative dates when now itself is invalid', () => {
    refusal('after:7d', new Date(Number.NaN));
  });

  it('refuses sizes that are not positive 32-bit byte counts', () => {
    // imapflow drops a zero size rather than sending it, which would widen the search to every message.
    for (const value of ['0', '0.4', 'huge', '5T', '4G', '-1', '1e3']) assert.match(refusal(`larger:${value}`), /larger:/);
    assert.deepEqual(search(`larger:${2 ** 32 - 1}`), { larger: 2 ** 32 - 1 });
  });

  it('refuses is: and has: values that are not supported', () => {
    assert.match(refusal('is:important'), /is:important/);
    assert.match(refusal('has:drive'), /has:drive/);
  });

  it('allows 30 terms and refuses 31', () => {
    const words = Array.from({ length: 31 }, (_, i) => `w${i}`);
    search(words.slice(0, 30).join(' '));
    assert.match(refusal(words.join(' ')), /30/);
  });

  it('shortens a long value in the message', () => {
    assert.ok(refusal(`before:${'x'.repeat(10_000)}`).length < 200);
  });
});

describe('parseSearchQuery: the SEARCH command on the wire', () => {
  it('compiles to the expected IMAP search keys', () => {
    const cases: [string, string][] = [
      ['from:alice hello', 'FROM alice TEXT hello'],
      ['to:bob', 'OR TO bob CC bob'],
      ['from:alice to:bob', 'FROM alice OR TO bob CC bob'],
      ['quarterly report budget', 'TEXT quarterly (TEXT report TEXT budget)'],
      ['from:a from:b', 'FROM a FROM b'],
      ['-is:read subject:"weekly sync"', 'NOT SEEN SUBJECT "weekly sync"'],
      ['-a -b -c', 'NOT TEXT a (NOT TEXT b NOT TEXT c)'],
      ['has:attachment larger:10M', 'HEADER CONTENT-TYPE multipart/mixed LARGER 10485760'],
      ['after:2026-01-05 before:2026/01/10', 'SENTSINCE 05-Jan-2026 SENTBEFORE 10-Jan-2026'],
      ['after:7d before:1m', 'SENTSINCE 24-Mar-2026 SENTBEFORE 28-Feb-2026'],
      ['to:a to:b', 'OR TO a CC a NOT NOT OR TO b CC b'],
      ['to:a to:b from:x from:y', 'FROM x (FROM y OR TO a CC a NOT NOT OR TO b CC b)'],
      ['subject:"say \\"hi\\""', 'SUBJECT "say \\"hi\\""'],
      ['"C:\\temp"', 'TEXT "C:\\\\temp"'],
      ['grüße', 'CHARSET UTF-8 TEXT {7}\r\ngrüße'],
    ];
    for (const [query, keys] of cases) assert.equal(wire(search(query)).toString(), `A1 SEARCH ${keys}`, query);
  });

  it('stays within the search nesting this repo’s server accepts for the worst 30-term queries', () => {
    const repeat = (term: (i: number) => string, n = 30): string => Array.from({ length: n }, (_, i) => term(i)).join(' ');
    const queries = [
      repeat((i) => `w${i}`),
      repeat((i) => `-to:x${i}`),
      repeat((i) => `to:x${i}`),
      `${repeat((i) => `to:x${i}`, 15)} ${repeat((i) => `-to:y${i}`, 15)}`,
      `${repeat((i) => `to:x${i}`, 5)} ${repeat((i) => `-to:y${i}`, 25)}`,
    ];
    for (const query of queries) serverProgram(search(query));
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The AND combination, checked end to end: query → SearchObject → imapflow's wire form → this repo's IMAP
// parser → a search program, evaluated on sample messages against what the terms mean one by one.

interface Message {
  from: string;
  to: string;
  cc: string;
  bcc: string;
  subject: string;
  body: string;
  flags: ReadonlySet<string>;
  contentType: string;
  size: number;
  sent: number;
}

const FIELD_OPS = ['text', 'from', 'to', 'cc', 'bcc', 'subject'] as const;
const FLAG_VALUES = ['unread', 'read', 'flagged', 'starred', 'answered', 'draft'] as const;
const DATE_VALUES: Readonly<Record<string, number>> = {
  '2026-01-05': Date.UTC(2026, 0, 5),
  '2026/01/07': Date.UTC(2026, 0, 7),
  '3d': Date.UTC(2026, 2, 28),
};
const SIZE_VALUES: Readonly<Record<string, number>> = { '1K': 1024, '2000': 2000 };

type Spec =
  | { op: (typeof FIELD_OPS)[number]; value: string }
  | { op: 'is'; value: (typeof FLAG_VALUES)[number] }
  | { op: 'has'; value: 'attachment' }
  | { op: 'before' | 'after'; value: string }
  | { op: 'larger' | 'smaller'; value: string };

const specArb: fc.Arbitrary<Spec & { negated: boolean }> = fc
  .tuple(
    fc.boolean(),
    fc.oneof(
      fc.record({ op: fc.constantFrom(...FIELD_OPS), value: fc.constantFrom('a', 'b', 'ab', 'b a') }),
      fc.record({ op: fc.constant('is' as const), value: fc.constantFrom(...FLAG_VALUES) }),
      fc.record({ op: fc.constant('has' as const), value: fc.constant('attachment' as const) }),
      fc.record({ op: fc.constantFrom('before' as const, 'after' as const), value: fc.constantFrom(...Object.keys(DATE_VALUES)) }),
      fc.record({ op: fc.constantFrom('larger' as const, 'smaller' as const), value: fc.constantFrom(...Object.keys(SIZE_VALUES)) }),
    ),
  )
  .map(([negated, spec]) => ({ negated, ...spec }));

const fieldArb = fc.constantFrom('', 'a', 'b', 'ab', 'ba', 'b a', 'xyz');
const messageArb: fc.Arbitrary<Message> = fc.record({
  from: fieldArb,
  to: fieldArb,
  cc: fieldArb,
  bcc: fieldArb,
  subject: fieldArb,
  body: fieldArb,
  flags: fc.subarray(['\\Seen', '\\Flagged', '\\Answered', '\\Draft']).map((flags) => new Set(flags)),
  contentType: fc.constantFrom('text/plain', 'multipart/mixed; boundary=x', 'multipart/alternative'),
  size: fc.constantFrom(500, 1024, 1025, 1999, 2000, 2001),
  sent: fc.constantFrom(...[4, 5, 6, 7].map((d) => Date.UTC(2026, 0, d)), Date.UTC(2026, 2, 27), Date.UTC(2026, 2, 28)),
});

function render(spec: Spec & { negated: boolean }): string {
  const value = spec.value.includes(' ') ? `"${spec.value}"` : spec.value;
  return `${spec.negated ? '-' : ''}${spec.op === 'text' ? '' : `${spec.op}:`}${value}`;
}

const contains = (haystack: string, needle: string): boolean => haystack.toLowerCase().includes(needle.toLowerCase());
const allText = (m: Message): string => [m.from, m.to, m.cc, m.bcc, m.subject, m.body].join('\n');

/** What one term means, written out independently of the parser. */
function holds(spec: Spec, m: Message): boolean {
  switch (spec.op) {
    case 'text':
      return contains(allText(m), spec.value);
    case 'to':
      return contains(m.to, spec.value) || contains(m.cc, spec.value);
    case 'from':
    case 'cc':
    case 'bcc':
    case 'subject':
      return contains(m[spec.op], spec.value);
    case 'is':
      return hasFlag(spec.value, m);
    case 'has':
      return contains(m.contentType, 'multipart/mixed');
    case 'before':
      return m.sent < (DATE_VALUES[spec.value] ?? Number.NaN);
    case 'after':
      return m.sent >= (DATE_VALUES[spec.value] ?? Number.NaN);
    case 'larger':
      return m.size > (SIZE_VALUES[spec.value] ?? Number.NaN);
    case 'smaller':
      return m.size < (SIZE_VALUES[spec.value] ?? Number.NaN);
  }
}

function hasFlag(value: (typeof FLAG_VALUES)[number], m: Message): boolean {
  switch (value) {
    case 'unread':
      return !m.flags.has('\\Seen');
    case 'read':
      return m.flags.has('\\Seen');
    case 'flagged':
    case 'starred':
      return m.flags.has('\\Flagged');
    case 'answered':
      return m.flags.has('\\Answered');
    case 'draft':
      return m.flags.has('\\Draft');
  }
}

/** Evaluates the search program the server parsed (only the keys the parser can produce). */
function matches(key: SearchKey, m: Message): boolean {
  switch (key.key) {
    case 'AND':
      return key.keys.every((k) => matches(k, m));
    case 'OR':
      return matches(key.left, m) || matches(key.right, m);
    case 'NOT':
      return !matches(key.arg, m);
    case 'FLAG':
      return m.flags.has(key.flag) === key.set;
    case 'TEXT':
      return contains(allText(m), key.value);
    case 'FROM':
    case 'TO':
    case 'CC':
    case 'BCC':
    case 'SUBJECT':
      return contains(m[key.key === 'SUBJECT' ? 'subject' : (key.key.toLowerCase() as 'from' | 'to' | 'cc' | 'bcc')], key.value);
    case 'HEADER':
      assert.equal(key.field.toLowerCase(), 'content-type');
      return contains(m.contentType, key.value);
    case 'LARGER':
      return m.size > key.size;
    case 'SMALLER':
      return m.size < key.size;
    case 'SENTBEFORE':
      return m.sent < key.date;
    case 'SENTSINCE':
      return m.sent >= key.date;
    default:
      throw new Error(`unexpected search key ${key.key}`);
  }
}

describe('parseSearchQuery: AND of terms, as the server evaluates it', () => {
  it('matches exactly the messages every term matches', () => {
    fc.assert(
      fc.property(fc.array(specArb, { minLength: 1, maxLength: 30 }), fc.array(messageArb, { minLength: 1, maxLength: 20 }), (specs, messages) => {
        const query = specs.map(render).join(' ');
        const program = serverProgram(search(query));
        for (const m of messages) assert.equal(matches(program, m), specs.every((spec) => spec.negated !== holds(spec, m)), query);
      }),
      { numRuns: 300 },
    );
  });

  it('matches exactly the messages every term matches, for short queries that often match', () => {
    fc.assert(
      fc.property(fc.array(specArb, { minLength: 1, maxLength: 4 }), fc.array(messageArb, { minLength: 20, maxLength: 40 }), (specs, messages) => {
        const query = specs.map(render).join(' ');
        const program = serverProgram(search(query));
        for (const m of messages) assert.equal(matches(program, m), specs.every((spec) => spec.negated !== holds(spec, m)), query);
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseSearchQuery: never throws', () => {
  const fragments = fc.constantFrom(
    ...['from:', 'to:', 'cc:', 'subject:', 'is:', 'has:', 'before:', 'after:', 'larger:', 'smaller:', 'foo:'],
    ...['-', '"', '\\', ' ', '\t', '\u0000', '\r\n', ':', '(', ')', '*', '%', '{5}', '\u00a0'],
    ...['unread', 'attachment', '7d', '99999y', '2026-02-29', '2024/02/29', '10M', '0', '4G', 'x', 'ü', '😀', '\uD800'],
  );
  const queryArb = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.array(fragments, { maxLength: 60 }).map((parts) => parts.join('')),
  );

  it('returns a result for any input, and any search it returns reaches the server intact', () => {
    fc.assert(
      fc.property(queryArb, fc.date(), (query, now) => {
        const result = parseSearchQuery(query, now);
        if (result.ok) serverProgram(result.search);
        else assert.ok(result.message.length > 0);
      }),
      { numRuns: 2000 },
    );
  });
});
