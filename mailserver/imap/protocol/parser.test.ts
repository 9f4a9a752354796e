import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { INTERNAL_ERROR, parseCommand, searchUses } from './parser.ts';
import { frameCommands } from './reader.ts';
import type { FramedCommand, ImapCommand, ParseFailure, ParseOptions, ParseResult, SearchKey } from './types.ts';

function frame(text: string | Buffer): FramedCommand {
  const events = frameCommands(typeof text === 'string' ? Buffer.from(text, 'utf8') : text, { maxLineBytes: 1 << 20 });
  assert.equal(events.length, 1, `expected one framed command from ${JSON.stringify(text.toString())}`);
  const e = events[0];
  assert.ok(e?.type === 'command');
  return e.command;
}

function parse(text: string | Buffer, opts?: ParseOptions): ParseResult {
  return parseCommand(frame(text), opts);
}

function ok(text: string | Buffer, opts?: ParseOptions): ImapCommand {
  const r = parse(text, opts);
  assert.ok(r.ok, `expected ${JSON.stringify(text.toString())} to parse, got: ${r.ok ? '' : r.error}`);
  return r.command;
}

function bad(text: string | Buffer, opts?: ParseOptions): ParseFailure {
  const r = parse(text, opts);
  assert.equal(r.ok, false, `expected ${JSON.stringify(text.toString())} to be rejected`);
  return r as ParseFailure;
}

/** Narrows a parsed command to the expected name. */
function as<N extends ImapCommand['name']>(cmd: ImapCommand, name: N): ImapCommand & { name: N } {
  assert.equal(cmd.name, name);
  return cmd as ImapCommand & { name: N };
}

const d = (y: number, m: number, day: number) => Date.UTC(y, m - 1, day);

describe('parser: connection and authentication commands', () => {
  it('parses argument-less commands (RFC 9051 examples)', () => {
    for (const [text, name] of [
      ['a001 CAPABILITY\r\n', 'CAPABILITY'],
      ['a002 NOOP\r\n', 'NOOP'],
      ['A023 LOGOUT\r\n', 'LOGOUT'],
      ['a002 STARTTLS\r\n', 'STARTTLS'],
      ['A001 NAMESPACE\r\n', 'NAMESPACE'],
      ['a002 IDLE\r\n', 'IDLE'],
      ['FXXZ CHECK\r\n', 'CHECK'],
      ['A341 CLOSE\r\n', 'CLOSE'],
      ['A342 UNSELECT\r\n', 'UNSELECT'],
      ['A202 EXPUNGE\r\n', 'EXPUNGE'],
      ['a1 noop\r\n', 'NOOP'],
    ] as const) {
      const cmd = ok(text);
      assert.equal(cmd.name, name);
      assert.equal(cmd.uid, false);
    }
    assert.deepEqual(ok('A202 EXPUNGE\r\n'), { tag: 'A202', name: 'EXPUNGE', uid: false, args: { set: null } });
  });

  it('parses AUTHENTICATE with and without a SASL-IR initial response', () => {
    assert.deepEqual(as(ok('A001 AUTHENTICATE GSSAPI\r\n'), 'AUTHENTICATE').args, { mechanism: 'GSSAPI', initialResponse: null });
    assert.deepEqual(as(ok('a002 authenticate plain dGVzdAB0ZXN0AHRlc3Q=\r\n'), 'AUTHENTICATE').args, {
      mechanism: 'PLAIN',
      initialResponse: 'dGVzdAB0ZXN0AHRlc3Q=',
    });
    assert.equal(as(ok('a AUTHENTICATE EXTERNAL =\r\n'), 'AUTHENTICATE').args.initialResponse, '=');
    assert.match(bad('a AUTHENTICATE PLAIN dGVzd\r\n').error, /base64/);
    assert.match(bad('a AUTHENTICATE PLAIN d=GV\r\n').error, /base64/);
  });

  it('parses LOGIN with atoms, quoted strings and literals', () => {
    assert.deepEqual(as(ok('a001 LOGIN SMITH SESAME\r\n'), 'LOGIN').args, { username: 'SMITH', password: 'SESAME' });
    assert.deepEqual(as(ok('a LOGIN "fred smith" "pa\\"ss\\\\word"\r\n'), 'LOGIN').args, {
      username: 'fred smith',
      password: 'pa"ss\\word',
    });
    assert.deepEqual(as(ok('a LOGIN {4}\r\nfred {6}\r\nse cre\r\n'), 'LOGIN').args, { username: 'fred', password: 'se cre' });
    assert.deepEqual(as(ok('a LOGIN {4+}\r\nfred ""\r\n'), 'LOGIN').args, { username: 'fred', password: '' });
    assert.deepEqual(as(ok('a LOGIN "j\u00fcrgen" "p\u00e4ss"\r\n'), 'LOGIN').args, { username: 'j\u00fcrgen', password: 'p\u00e4ss' });
    assert.equal(as(ok('a LOGIN a]b c\r\n'), 'LOGIN').args.username, 'a]b');
  });

  it('parses ENABLE and ID', () => {
    assert.deepEqual(as(ok('t2 ENABLE CONDSTORE X-GOOD-IDEA\r\n'), 'ENABLE').args, { capabilities: ['CONDSTORE', 'X-GOOD-IDEA'] });
    assert.deepEqual(as(ok('a ENABLE utf8=accept\r\n'), 'ENABLE').args.capabilities, ['UTF8=ACCEPT']);
    assert.deepEqual(as(ok('a023 ID ("name" "sodr" "version" "19.34" "vendor" "Pink Floyd Music Limited")\r\n'), 'ID').args, {
      params: [
        { field: 'name', value: 'sodr' },
        { field: 'version', value: '19.34' },
        { field: 'vendor', value: 'Pink Floyd Music Limited' },
      ],
    });
    assert.deepEqual(as(ok('a ID NIL\r\n'), 'ID').args, { params: null });
    assert.deepEqual(as(ok('a ID ("os" NIL)\r\n'), 'ID').args, { params: [{ field: 'os', value: null }] });
    assert.match(bad('a ENABLE\r\n').error, /capability/);
    const tooMany = `a ID (${Array.from({ length: 31 }, (_, i) => `"f${i}" "v"`).join(' ')})\r\n`;
    assert.match(bad(tooMany).error, /30/);
  });
});

describe('parser: mailbox commands', () => {
  it('parses SELECT/EXAMINE with CONDSTORE and QRESYNC (RFC 7162 examples)', () => {
    assert.deepEqual(as(ok('A142 SELECT INBOX\r\n'), 'SELECT').args, { mailbox: 'INBOX', condstore: false, qresync: null });
    assert.deepEqual(as(ok('A932 EXAMINE blurdybloop\r\n'), 'EXAMINE').args.mailbox, 'blurdybloop');
    assert.equal(as(ok('a SELECT inbox\r\n'), 'SELECT').args.mailbox, 'INBOX');
    assert.equal(as(ok('a SELECT "Inbox"\r\n'), 'SELECT').args.mailbox, 'INBOX');
    assert.equal(as(ok('a SELECT INBOX (CONDSTORE)\r\n'), 'SELECT').args.condstore, true);
    assert.deepEqual(as(ok('A02 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n'), 'SELECT').args.qresync, {
      uidValidity: 67890007,
      modSeq: 20050715194045000,
      knownUids: [
        { from: 41, to: 41 },
        { from: 43, to: 211 },
        { from: 214, to: 541 },
      ],
      seqMatch: null,
    });
    const b04 = as(
      ok(
        'B04 SELECT INBOX (QRESYNC (67890007 90060115194045000 1:29997 (5000,7500,9000,9990:9999 15000,22500,27000,29970,29973,29976,29979,29982,29985,29988,29991,29994,29997)))\r\n',
      ),
      'SELECT',
    ).args.qresync;
    assert.deepEqual(b04?.knownUids, [{ from: 1, to: 29997 }]);
    assert.deepEqual(b04?.seqMatch?.seqs.slice(0, 2), [
      { from: 5000, to: 5000 },
      { from: 7500, to: 7500 },
    ]);
    assert.equal(b04?.seqMatch?.uids.length, 13);
    assert.deepEqual(as(ok('a SELECT INBOX (QRESYNC (1 2 (1:2 3:4)))\r\n'), 'SELECT').args.qresync?.seqMatch, {
      seqs: [{ from: 1, to: 2 }],
      uids: [{ from: 3, to: 4 }],
    });
    assert.match(bad('a SELECT INBOX (QRESYNC (1 2 1:*))\r\n').error, /"\*"/);
    assert.match(bad('a SELECT INBOX (FOO)\r\n').error, /Unknown select parameter FOO/);
    assert.match(bad('a SELECT INBOX (QRESYNC (0 2))\r\n').error, /UIDVALIDITY/);
  });

  it('says what is missing', () => {
    const f = bad('a1 SELECT\r\n');
    assert.equal(f.tag, 'a1');
    assert.equal(f.name, 'SELECT');
    assert.equal(f.status, 'BAD');
    assert.match(f.error, /Expected a mailbox name/);
    assert.match(bad('a1 SELECT \r\n').error, /Expected a mailbox name/);
    assert.match(bad('a1 RENAME foo\r\n').error, /new mailbox name/);
  });

  it('parses CREATE with special-use attributes (RFC 6154)', () => {
    assert.deepEqual(as(ok('A003 CREATE owatagusiam/\r\n'), 'CREATE').args, { mailbox: 'owatagusiam/', specialUse: [] });
    assert.deepEqual(as(ok('t1 CREATE MySpecial (USE (\\Drafts \\Sent))\r\n'), 'CREATE').args, {
      mailbox: 'MySpecial',
      specialUse: ['\\Drafts', '\\Sent'],
    });
    assert.deepEqual(as(ok('t1 CREATE x (use (\\junk \\Important))\r\n'), 'CREATE').args.specialUse, ['\\Junk', '\\Important']);
    assert.match(bad('t1 CREATE x (FOO)\r\n').error, /Unknown CREATE parameter FOO/);
  });

  it('parses DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, STATUS', () => {
    assert.deepEqual(as(ok('A683 DELETE blurdybloop\r\n'), 'DELETE').args, { mailbox: 'blurdybloop' });
    assert.deepEqual(as(ok('A683 RENAME blurdybloop sarasoop\r\n'), 'RENAME').args, { from: 'blurdybloop', to: 'sarasoop' });
    assert.deepEqual(as(ok('A002 SUBSCRIBE #news.comp.mail.mime\r\n'), 'SUBSCRIBE').args, { mailbox: '#news.comp.mail.mime' });
    assert.equal(ok('A002 UNSUBSCRIBE #news.comp.mail.mime\r\n').name, 'UNSUBSCRIBE');
    assert.deepEqual(as(ok('A042 STATUS blurdybloop (UIDNEXT MESSAGES)\r\n'), 'STATUS').args, {
      mailbox: 'blurdybloop',
      items: ['UIDNEXT', 'MESSAGES'],
    });
    const all = as(
      ok('a STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE RECENT HIGHESTMODSEQ APPENDLIMIT MAILBOXID)\r\n'),
      'STATUS',
    );
    assert.equal(all.args.items.length, 10);
    assert.match(bad('a STATUS INBOX (MESSAGES FOO)\r\n').error, /Unknown STATUS item FOO/);
    assert.match(bad('a STATUS INBOX ()\r\n').error, /Empty/);
  });

  it('decodes modified UTF-7 names unless UTF-8 is enabled', () => {
    assert.equal(as(ok('a SELECT Entw&APw-rfe\r\n'), 'SELECT').args.mailbox, 'Entw\u00fcrfe');
    assert.equal(as(ok('a SELECT "~peter/mail/&U,BTFw-/&ZeVnLIqe-"\r\n'), 'SELECT').args.mailbox, '~peter/mail/\u53f0\u5317/\u65e5\u672c\u8a9e');
    assert.match(bad('a SELECT "Entw\u00fcrfe"\r\n').error, /modified UTF-7/);
    assert.match(bad('a SELECT &Jjo\r\n').error, /modified UTF-7/);
    assert.equal(as(ok('a SELECT "Entw\u00fcrfe"\r\n', { utf8: true }), 'SELECT').args.mailbox, 'Entw\u00fcrfe');
    assert.equal(as(ok('a SELECT Tom&Jerry\r\n', { utf8: true }), 'SELECT').args.mailbox, 'Tom&Jerry');
    assert.equal(as(ok('a RENAME &AOk- &-\r\n'), 'RENAME').args.to, '&');
  });

  it('parses basic and extended LIST (RFC 5258, 5819, 6154 examples)', () => {
    const basic = as(ok('A101 LIST "" ""\r\n'), 'LIST').args;
    assert.deepEqual(basic, {
      reference: '',
      patterns: [''],
      select: [],
      returnOptions: { subscribed: false, children: false, specialUse: false, status: null },
      extended: false,
    });
    assert.deepEqual(as(ok('A102 LIST #news.comp.mail.misc ""\r\n'), 'LIST').args.reference, '#news.comp.mail.misc');
    assert.deepEqual(as(ok('A202 LIST ~/Mail/ %\r\n'), 'LIST').args.patterns, ['%']);
    assert.deepEqual(as(ok('a LIST "" INBOX/*]\r\n'), 'LIST').args.patterns, ['INBOX/*]']);
    const sub = as(ok('A02 LIST (SUBSCRIBED) "" "*"\r\n'), 'LIST').args;
    assert.deepEqual(sub.select, ['SUBSCRIBED']);
    assert.equal(sub.extended, true);
    assert.equal(as(ok('A03 LIST () "" "%" RETURN (CHILDREN)\r\n'), 'LIST').args.returnOptions.children, true);
    assert.deepEqual(as(ok('A05 LIST (REMOTE SUBSCRIBED) "" "*"\r\n'), 'LIST').args.select, ['REMOTE', 'SUBSCRIBED']);
    assert.deepEqual(as(ok('C04 LIST (SUBSCRIBED RECURSIVEMATCH) "" "%" RETURN (CHILDREN)\r\n'), 'LIST').args.select, [
      'SUBSCRIBED',
      'RECURSIVEMATCH',
    ]);
    assert.deepEqual(as(ok('A01 LIST "" ("INBOX" "Drafts" "Sent/%")\r\n'), 'LIST').args.patterns, ['INBOX', 'Drafts', 'Sent/%']);
    assert.deepEqual(as(ok('A01 LIST "" % RETURN (STATUS (MESSAGES UNSEEN))\r\n'), 'LIST').args.returnOptions, {
      subscribed: false,
      children: false,
      specialUse: false,
      status: ['MESSAGES', 'UNSEEN'],
    });
    assert.equal(as(ok('t1 LIST "" "%" RETURN (SPECIAL-USE)\r\n'), 'LIST').args.returnOptions.specialUse, true);
    assert.deepEqual(as(ok('t3 LIST (SPECIAL-USE) "" "*" RETURN (SUBSCRIBED)\r\n'), 'LIST').args.select, ['SPECIAL-USE']);
    assert.match(bad('A06 LIST (RECURSIVEMATCH) "" "%"\r\n').error, /RECURSIVEMATCH/);
    assert.match(bad('a LIST (FOO) "" "%"\r\n').error, /Unknown LIST selection option FOO/);
    assert.match(bad('a LIST "" "%" RETURN (FOO)\r\n').error, /Unknown LIST return option FOO/);
    assert.match(bad('a LIST "" "%" FOO (CHILDREN)\r\n').error, /RETURN/);
    assert.deepEqual(as(ok('A002 LSUB "#news." "comp.mail.*"\r\n'), 'LSUB').args, { reference: '#news.', pattern: 'comp.mail.*' });
  });

  it('parses the quota commands and COMPRESS', () => {
    assert.deepEqual(as(ok('G0001 GETQUOTA "!partition/sda4"\r\n'), 'GETQUOTA').args, { root: '!partition/sda4' });
    assert.deepEqual(as(ok('G0002 GETQUOTAROOT INBOX\r\n'), 'GETQUOTAROOT').args, { mailbox: 'INBOX' });
    assert.deepEqual(as(ok('S0000 SETQUOTA "" (STORAGE 512 message 1000)\r\n'), 'SETQUOTA').args, {
      root: '',
      limits: [
        { resource: 'STORAGE', limit: 512 },
        { resource: 'MESSAGE', limit: 1000 },
      ],
    });
    assert.deepEqual(as(ok('a COMPRESS DEFLATE\r\n'), 'COMPRESS').args, { mechanism: 'DEFLATE' });
  });
});

describe('parser: APPEND', () => {
  it('parses the RFC 9051 example with flags and date-time', () => {
    const body = 'Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\nFrom: Fred Foobar <foobar@Blurdybloop.example>\r\n\r\nHello Joe\r\n';
    const len = Buffer.byteLength(body);
    const cmd = as(ok(`A003 APPEND saved-messages (\\Seen) "17-Jul-1996 02:44:25 -0700" {${len}}\r\n${body}\r\n`), 'APPEND');
    assert.equal(cmd.args.mailbox, 'saved-messages');
    assert.equal(cmd.args.messages.length, 1);
    const m = cmd.args.messages[0];
    assert.deepEqual(m?.flags, ['\\Seen']);
    assert.equal(m?.date, Date.UTC(1996, 6, 17, 9, 44, 25));
    assert.equal(m?.data.toString(), body);
    assert.equal(m?.binary, false);
  });

  it('parses MULTIAPPEND (RFC 3502), literal8 (RFC 3516) and UTF8 (RFC 6855) forms', () => {
    const multi = as(ok('A003 APPEND saved-messages (\\Seen) {3}\r\none (\\seen $Forwarded) " 1-Aug-2002 22:00:00 -0700" {3}\r\ntwo {5+}\r\nthree\r\n'), 'APPEND');
    assert.deepEqual(
      multi.args.messages.map((m) => [m.flags, m.date, m.data.toString()]),
      [
        [['\\Seen'], null, 'one'],
        [['\\Seen', '$Forwarded'], Date.UTC(2002, 7, 2, 5, 0, 0), 'two'],
        [[], null, 'three'],
      ],
    );
    const bin = as(ok(Buffer.from('A003 APPEND Drafts (\\Seen $MDNSent) ~{4}\r\n\0\x01\xfe\xff\r\n', 'latin1')), 'APPEND');
    assert.equal(bin.args.messages[0]?.binary, true);
    assert.deepEqual([...(bin.args.messages[0]?.data ?? [])], [0, 1, 0xfe, 0xff]);
    const utf8 = as(ok('a APPEND INBOX UTF8 (~{5}\r\nhello)\r\n'), 'APPEND');
    assert.deepEqual(
      utf8.args.messages.map((m) => [m.utf8, m.binary, m.data.toString()]),
      [[true, true, 'hello']],
    );
  });

  it('rejects bad APPEND arguments', () => {
    assert.match(bad('a APPEND INBOX "hello"\r\n').error, /Invalid date-time "hello"/);
    assert.match(bad('a APPEND INBOX\r\n').error, /literal/);
    assert.match(bad('a APPEND INBOX (\\Recent) {1}\r\nx\r\n').error, /Recent/);
    assert.match(bad('a APPEND INBOX "31-Feb-2020 00:00:00 +0000" {1}\r\nx\r\n').error, /Invalid date-time/);
    assert.match(bad('a APPEND INBOX UTF8 ({1}\r\nx)\r\n').error, /literal8/);
    assert.match(bad('a APPEND INBOX {1}\r\nx junk\r\n').error, /literal/);
  });

  it('hands the literal buffer through without copying', () => {
    const framed = frame(`a APPEND INBOX {20000}\r\n${'x'.repeat(20000)}\r\n`);
    const r = parseCommand(framed);
    assert.ok(r.ok && r.command.name === 'APPEND');
    const piece = framed.pieces[1];
    assert.ok(piece?.type === 'literal');
    assert.equal(r.command.args.messages[0]?.data, piece.data);
  });
});

describe('parser: SEARCH', () => {
  it('parses the RFC 9051 §6.4.4 examples', () => {
    assert.deepEqual(as(ok('A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"\r\n'), 'SEARCH').args, {
      charset: null,
      returnOptions: null,
      criteria: {
        key: 'AND',
        keys: [
          { key: 'FLAG', flag: '\\Flagged', set: true },
          { key: 'SINCE', date: d(1994, 2, 1) },
          { key: 'NOT', arg: { key: 'FROM', value: 'Smith' } },
        ],
      },
    });
    assert.deepEqual(as(ok('A283 SEARCH TEXT "string not in mailbox"\r\n'), 'SEARCH').args.criteria, {
      key: 'TEXT',
      value: 'string not in mailbox',
    });
    const utf = as(ok('A284 SEARCH CHARSET UTF-8 TEXT {10}\r\n\u0442\u0435\u0441\u0442\u044b\r\n'), 'SEARCH').args;
    assert.equal(utf.charset, 'UTF-8');
    assert.deepEqual(utf.criteria, { key: 'TEXT', value: '\u0442\u0435\u0441\u0442\u044b' });
  });

  it('parses every search key', () => {
    const keys = (s: string): SearchKey => as(ok(`a SEARCH ${s}\r\n`), 'SEARCH').args.criteria;
    assert.deepEqual(keys('ALL'), { key: 'ALL' });
    for (const [k, flag, set] of [
      ['ANSWERED', '\\Answered', true],
      ['DELETED', '\\Deleted', true],
      ['DRAFT', '\\Draft', true],
      ['FLAGGED', '\\Flagged', true],
      ['SEEN', '\\Seen', true],
      ['RECENT', '\\Recent', true],
      ['UNANSWERED', '\\Answered', false],
      ['UNDELETED', '\\Deleted', false],
      ['UNDRAFT', '\\Draft', false],
      ['UNFLAGGED', '\\Flagged', false],
      ['UNSEEN', '\\Seen', false],
      ['OLD', '\\Recent', false],
    ] as const) {
      assert.deepEqual(keys(k), { key: 'FLAG', flag, set }, k);
    }
    assert.deepEqual(keys('NEW'), {
      key: 'AND',
      keys: [
        { key: 'FLAG', flag: '\\Recent', set: true },
        { key: 'FLAG', flag: '\\Seen', set: false },
      ],
    });
    assert.deepEqual(keys('KEYWORD $Junk'), { key: 'FLAG', flag: '$Junk', set: true });
    assert.deepEqual(keys('UNKEYWORD foo'), { key: 'FLAG', flag: 'foo', set: false });
    for (const k of ['BCC', 'BODY', 'CC', 'FROM', 'SUBJECT', 'TEXT', 'TO'] as const) {
      assert.deepEqual(keys(`${k.toLowerCase()} "x y"`), { key: k, value: 'x y' });
    }
    for (const k of ['BEFORE', 'ON', 'SINCE', 'SENTBEFORE', 'SENTON', 'SENTSINCE', 'SAVEDBEFORE', 'SAVEDON', 'SAVEDSINCE'] as const) {
      assert.deepEqual(keys(`${k} 3-Mar-2003`), { key: k, date: d(2003, 3, 3) });
      assert.deepEqual(keys(`${k} "03-Mar-2003"`), { key: k, date: d(2003, 3, 3) });
    }
    assert.deepEqual(keys('HEADER Message-ID <x@y>'), { key: 'HEADER', field: 'Message-ID', value: '<x@y>' });
    assert.deepEqual(keys('HEADER X-Spam ""'), { key: 'HEADER', field: 'X-Spam', value: '' });
    assert.deepEqual(keys('LARGER 5000'), { key: 'LARGER', size: 5000 });
    assert.deepEqual(keys('SMALLER 10'), { key: 'SMALLER', size: 10 });
    assert.deepEqual(keys('UID 1:5,9'), {
      key: 'UID',
      set: [
        { from: 1, to: 5 },
        { from: 9, to: 9 },
      ],
    });
    assert.deepEqual(keys('2:*'), { key: 'SEQ', set: [{ from: 2, to: '*' }] });
    assert.deepEqual(keys('$'), { key: 'SEQ', set: '$' });
    assert.deepEqual(keys('UID $'), { key: 'UID', set: '$' });
    assert.deepEqual(keys('OR SEEN (FLAGGED DRAFT)'), {
      key: 'OR',
      left: { key: 'FLAG', flag: '\\Seen', set: true },
      right: {
        key: 'AND',
        keys: [
          { key: 'FLAG', flag: '\\Flagged', set: true },
          { key: 'FLAG', flag: '\\Draft', set: true },
        ],
      },
    });
    assert.deepEqual(keys('(SEEN)'), { key: 'FLAG', flag: '\\Seen', set: true });
    assert.deepEqual(keys('EMAILID M6d99ac3275bb4e'), { key: 'EMAILID', id: 'M6d99ac3275bb4e' });
    assert.deepEqual(keys('THREADID T64b478a75b7ea9'), { key: 'THREADID', id: 'T64b478a75b7ea9' });
    assert.deepEqual(keys('SAVEDATESUPPORTED'), { key: 'SAVEDATESUPPORTED' });
    assert.deepEqual(keys('YOUNGER 3600'), { key: 'YOUNGER', seconds: 3600 });
    assert.deepEqual(keys('OLDER 86400'), { key: 'OLDER', seconds: 86400 });
    assert.deepEqual(keys('FUZZY SUBJECT hello'), { key: 'FUZZY', arg: { key: 'SUBJECT', value: 'hello' } });
  });

  it('parses CONDSTORE MODSEQ keys (RFC 7162 examples)', () => {
    assert.deepEqual(as(ok('a SEARCH MODSEQ "/flags/\\\\draft" all 620162338\r\n'), 'SEARCH').args.criteria, {
      key: 'MODSEQ',
      modseq: 620162338,
      entry: { name: '/flags/\\draft', type: 'all' },
    });
    const t = as(ok('t SEARCH OR NOT MODSEQ 720162338 LARGER 50000\r\n'), 'SEARCH').args.criteria;
    assert.deepEqual(t, {
      key: 'OR',
      left: { key: 'NOT', arg: { key: 'MODSEQ', modseq: 720162338, entry: null } },
      right: { key: 'LARGER', size: 50000 },
    });
    assert.equal(searchUses(t, 'MODSEQ'), true);
    assert.equal(searchUses(t, 'UID'), false);
    assert.match(bad('a SEARCH MODSEQ "/flags/x" mine 5\r\n').error, /entry type/);
  });

  it('parses ESEARCH RETURN options (RFC 4731, RFC 5182)', () => {
    const a = as(ok('A282 SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"\r\n'), 'SEARCH').args;
    assert.deepEqual(a.returnOptions, ['MIN', 'COUNT']);
    assert.deepEqual(as(ok('A283 SEARCH RETURN () FLAGGED\r\n'), 'SEARCH').args.returnOptions, []);
    const u = as(ok('A285 UID SEARCH RETURN (MIN MAX) 1:5000\r\n'), 'SEARCH');
    assert.equal(u.uid, true);
    assert.deepEqual(u.args.returnOptions, ['MIN', 'MAX']);
    assert.deepEqual(as(ok('A282 SEARCH RETURN (SAVE) FLAGGED SINCE 1-Feb-1994\r\n'), 'SEARCH').args.returnOptions, ['SAVE']);
    const both = as(ok('a SEARCH RETURN (ALL) CHARSET US-ASCII SEEN\r\n'), 'SEARCH').args;
    assert.deepEqual([both.returnOptions, both.charset], [['ALL'], 'US-ASCII']);
    assert.match(bad('a SEARCH RETURN (FOO) ALL\r\n').error, /Unknown RETURN option FOO/);
  });

  it('decodes search strings in the requested charset, or answers NO [BADCHARSET]', () => {
    const latin = as(ok(Buffer.from('a SEARCH CHARSET ISO-8859-1 SUBJECT "\xe9t\xe9"\r\n', 'latin1')), 'SEARCH').args;
    assert.deepEqual(latin.criteria, { key: 'SUBJECT', value: '\u00e9t\u00e9' });
    const f = bad('a SEARCH CHARSET X-NO-SUCH-CHARSET TEXT x\r\n');
    assert.equal(f.status, 'NO');
    assert.match(f.code ?? '', /^BADCHARSET/);
    assert.match(bad(Buffer.from('a SEARCH SUBJECT "\xe9t\xe9"\r\n', 'latin1')).error, /UTF-8/);
  });

  it('rejects unknown keys and bad arguments with a reason', () => {
    const f = bad('A1 SEARCH FOO\r\n');
    assert.deepEqual([f.tag, f.name, f.error], ['A1', 'SEARCH', 'Unknown search key FOO']);
    assert.match(bad('a SEARCH\r\n').error, /Expected search criteria/);
    assert.match(bad('a SEARCH SINCE 31-Feb-1994\r\n').error, /Invalid date/);
    assert.match(bad('a SEARCH (SEEN\r\n').error, /"\)"/);
    assert.match(bad('a SEARCH OR SEEN\r\n').error, /second search key/);
    assert.match(bad('a SEARCH 0:5\r\n').error, /Invalid sequence set/);
    assert.match(bad('a SEARCH EMAILID bad/id\r\n').error, /object id/);
    assert.match(bad('a SEARCH HEADER "a:b" x\r\n').error, /header field name/);
    assert.match(bad('a SEARCH LARGER 99999999999999999999\r\n').error, /too large/);
    assert.match(bad('a SEARCH OLDER 0\r\n').error, /greater than zero/);
  });

  it('bounds nesting instead of overflowing the stack', () => {
    assert.match(bad(`a SEARCH ${'NOT '.repeat(20000)}ALL\r\n`).error, /nested too deeply/);
    assert.match(bad(`a SEARCH ${'('.repeat(20000)}ALL${')'.repeat(20000)}\r\n`).error, /nested too deeply/);
    assert.match(bad(`a SEARCH ${'OR ALL '.repeat(20000)}ALL\r\n`).error, /nested too deeply/);
    assert.equal(ok(`a SEARCH ${'NOT '.repeat(40)}ALL\r\n`).name, 'SEARCH');
  });
});

describe('parser: FETCH, STORE, COPY, MOVE', () => {
  it('parses macros and simple attributes', () => {
    const all = as(ok('a FETCH 1 ALL\r\n'), 'FETCH').args.items.map((i) => i.kind);
    assert.deepEqual(all, ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE']);
    assert.deepEqual(as(ok('a FETCH 1 fast\r\n'), 'FETCH').args.items.map((i) => i.kind), ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE']);
    assert.deepEqual(as(ok('a FETCH 1 FULL\r\n'), 'FETCH').args.items.map((i) => i.kind), [
      'FLAGS',
      'INTERNALDATE',
      'RFC822.SIZE',
      'ENVELOPE',
      'BODY',
    ]);
    const every = as(
      ok('a FETCH 1:* (UID FLAGS INTERNALDATE RFC822 RFC822.HEADER RFC822.SIZE RFC822.TEXT ENVELOPE BODY BODYSTRUCTURE MODSEQ EMAILID THREADID SAVEDATE)\r\n'),
      'FETCH',
    );
    assert.equal(every.args.items.length, 14);
    assert.deepEqual(as(ok('a FETCH 1 rfc822.size\r\n'), 'FETCH').args.items, [{ kind: 'RFC822.SIZE' }]);
    assert.match(bad('a FETCH 1 (FLAGS ALL)\r\n').error, /macro/);
    assert.match(bad('a FETCH 1 (FLAGS FOO)\r\n').error, /Unknown FETCH attribute FOO/);
    assert.match(bad('a FETCH 1 ()\r\n').error, /Empty/);
  });

  it('parses UID FETCH 1:* (UID FLAGS ENVELOPE)', () => {
    assert.deepEqual(ok('a3 UID FETCH 1:* (UID FLAGS ENVELOPE)\r\n'), {
      tag: 'a3',
      name: 'FETCH',
      uid: true,
      args: {
        set: [{ from: 1, to: '*' }],
        items: [{ kind: 'UID' }, { kind: 'FLAGS' }, { kind: 'ENVELOPE' }],
        changedSince: null,
        vanished: false,
      },
    });
  });

  it('parses body sections and partials (RFC 9051 examples)', () => {
    const items = as(ok('A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])\r\n'), 'FETCH').args.items;
    assert.deepEqual(items[1], {
      kind: 'BODY[]',
      section: { part: [], kind: 'HEADER.FIELDS', fields: ['DATE', 'FROM'] },
      peek: false,
      partial: null,
    });
    const many = as(
      ok('a FETCH 1 (BODY[] BODY.PEEK[]<0.2048> BODY[1.2.TEXT] BODY[4.2.MIME] BODY[3] BODY[HEADER] BODY.PEEK[TEXT]<100.10> BODY[2.HEADER.FIELDS.NOT (Received "X-Spam")])\r\n'),
      'FETCH',
    ).args.items;
    assert.deepEqual(many, [
      { kind: 'BODY[]', section: { part: [], kind: 'ALL' }, peek: false, partial: null },
      { kind: 'BODY[]', section: { part: [], kind: 'ALL' }, peek: true, partial: { offset: 0, length: 2048 } },
      { kind: 'BODY[]', section: { part: [1, 2], kind: 'TEXT' }, peek: false, partial: null },
      { kind: 'BODY[]', section: { part: [4, 2], kind: 'MIME' }, peek: false, partial: null },
      { kind: 'BODY[]', section: { part: [3], kind: 'ALL' }, peek: false, partial: null },
      { kind: 'BODY[]', section: { part: [], kind: 'HEADER' }, peek: false, partial: null },
      { kind: 'BODY[]', section: { part: [], kind: 'TEXT' }, peek: true, partial: { offset: 100, length: 10 } },
      { kind: 'BODY[]', section: { part: [2], kind: 'HEADER.FIELDS.NOT', fields: ['Received', 'X-Spam'] }, peek: false, partial: null },
    ]);
    assert.deepEqual(as(ok('a FETCH 1 BODY[]\r\n'), 'FETCH').args.items.length, 1);
    assert.match(bad('a FETCH 1 BODY[MIME]\r\n').error, /MIME needs a part/);
    assert.match(bad('a FETCH 1 BODY[0]\r\n').error, /greater than zero/);
    assert.match(bad('a FETCH 1 BODY[1.]\r\n').error, /section name/);
    assert.match(bad('a FETCH 1 BODY[FOO]\r\n').error, /Unknown section FOO/);
    assert.match(bad('a FETCH 1 BODY[]<0.0>\r\n').error, /greater than zero/);
    assert.match(bad('a FETCH 1 BODY[]<5>\r\n').error, /"\."/);
    assert.match(bad('a FETCH 1 BODY.PEEK\r\n').error, /section/);
    assert.match(bad('a FETCH 1 BODY[HEADER.FIELDS ()]\r\n').error, /Empty/);
  });

  it('parses BINARY, PREVIEW and object ids (RFC 3516, 8970, 8474)', () => {
    assert.deepEqual(as(ok('t FETCH 1 (BINARY.PEEK[1.1] BINARY.SIZE[2] BINARY[]<0.100>)\r\n'), 'FETCH').args.items, [
      { kind: 'BINARY[]', part: [1, 1], peek: true, partial: null },
      { kind: 'BINARY.SIZE', part: [2] },
      { kind: 'BINARY[]', part: [], peek: false, partial: { offset: 0, length: 100 } },
    ]);
    assert.match(bad('t FETCH 1 BINARY[1.TEXT]\r\n').error, /part numbers only/);
    assert.deepEqual(as(ok('a FETCH 1 (PREVIEW (LAZY) FLAGS)\r\n'), 'FETCH').args.items, [{ kind: 'PREVIEW', lazy: true }, { kind: 'FLAGS' }]);
    assert.deepEqual(as(ok('a FETCH 1 PREVIEW\r\n'), 'FETCH').args.items, [{ kind: 'PREVIEW', lazy: false }]);
    assert.deepEqual(as(ok('a FETCH 1 PREVIEW (lazy)\r\n'), 'FETCH').args.items, [{ kind: 'PREVIEW', lazy: true }]);
    assert.deepEqual(as(ok('a FETCH 1:* (EMAILID THREADID)\r\n'), 'FETCH').args.items, [{ kind: 'EMAILID' }, { kind: 'THREADID' }]);
  });

  it('parses CONDSTORE/QRESYNC fetch modifiers (RFC 7162 examples)', () => {
    const a = as(ok('s100 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)\r\n'), 'FETCH');
    assert.deepEqual([a.uid, a.args.changedSince, a.args.vanished], [true, 12345, false]);
    const b = as(ok('s101 UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n'), 'FETCH');
    assert.deepEqual([b.args.changedSince, b.args.vanished], [12345, true]);
    assert.equal(as(ok('a FETCH 1 FLAGS (CHANGEDSINCE 5)\r\n'), 'FETCH').args.changedSince, 5);
    assert.match(bad('a FETCH 1 FLAGS (CHANGEDSINCE 5 VANISHED)\r\n').error, /only allowed with UID FETCH/);
    assert.match(bad('a UID FETCH 1 FLAGS (VANISHED)\r\n').error, /requires CHANGEDSINCE/);
    assert.match(bad('a FETCH 1 FLAGS (FOO)\r\n').error, /Unknown FETCH modifier FOO/);
    assert.deepEqual(as(ok('A283 FETCH $ (UID INTERNALDATE FLAGS RFC822.SIZE)\r\n'), 'FETCH').args.set, '$');
  });

  it('parses STORE in all its forms', () => {
    assert.deepEqual(as(ok('A003 STORE 2:4 +FLAGS (\\Deleted)\r\n'), 'STORE').args, {
      set: [{ from: 2, to: 4 }],
      action: 'add',
      silent: false,
      flags: ['\\Deleted'],
      unchangedSince: null,
    });
    assert.deepEqual(as(ok('a STORE 1 -flags.silent \\seen $Junk\r\n'), 'STORE').args, {
      set: [{ from: 1, to: 1 }],
      action: 'remove',
      silent: true,
      flags: ['\\Seen', '$Junk'],
      unchangedSince: null,
    });
    assert.deepEqual(as(ok('a UID STORE 5 FLAGS ()\r\n'), 'STORE').args.flags, []);
    const d105 = as(ok('d105 STORE 7,5,9 (UNCHANGEDSINCE 320162338) +FLAGS.SILENT (\\Deleted)\r\n'), 'STORE').args;
    assert.deepEqual([d105.unchangedSince, d105.action, d105.silent], [320162338, 'add', true]);
    assert.match(bad('a STORE 1 +FLAGS (\\Recent)\r\n').error, /Recent/);
    assert.match(bad('a STORE 1 XFLAGS (\\Seen)\r\n').error, /Unknown STORE action/);
    assert.match(bad('a STORE 1 +FLAGS\r\n').error, /flags/);
    assert.match(bad('a STORE 1 (FOO 1) +FLAGS \\Seen\r\n').error, /Unknown STORE modifier/);
  });

  it('parses COPY, MOVE and UID EXPUNGE', () => {
    assert.deepEqual(ok('A003 COPY 2:4 MEETING\r\n'), {
      tag: 'A003',
      name: 'COPY',
      uid: false,
      args: { set: [{ from: 2, to: 4 }], mailbox: 'MEETING' },
    });
    const move = as(ok('a UID MOVE 42:69 "Junk Mail"\r\n'), 'MOVE');
    assert.deepEqual([move.uid, move.args.mailbox], [true, 'Junk Mail']);
    assert.deepEqual(ok('A202 UID EXPUNGE 3000:3002\r\n'), {
      tag: 'A202',
      name: 'EXPUNGE',
      uid: true,
      args: { set: [{ from: 3000, to: 3002 }] },
    });
    assert.match(bad('a UID EXPUNGE\r\n').error, /UID set/);
    assert.match(bad('a EXPUNGE 1:2\r\n').error, /Unexpected/);
  });
});

describe('parser: SORT and THREAD', () => {
  it('parses the RFC 5256/5267/5957 examples', () => {
    assert.deepEqual(as(ok('A282 SORT (SUBJECT) UTF-8 SINCE 1-Feb-1994\r\n'), 'SORT').args, {
      criteria: [{ key: 'SUBJECT', reverse: false }],
      charset: 'UTF-8',
      returnOptions: null,
      search: { key: 'SINCE', date: d(1994, 2, 1) },
    });
    const c283 = as(ok('C283 UID SORT (SUBJECT REVERSE DATE) UTF-8 ALL\r\n'), 'SORT');
    assert.equal(c283.uid, true);
    assert.deepEqual(c283.args.criteria, [
      { key: 'SUBJECT', reverse: false },
      { key: 'DATE', reverse: true },
    ]);
    assert.deepEqual(as(ok('C284 SORT (SUBJECT) US-ASCII TEXT "not in mailbox"\r\n'), 'SORT').args.search, {
      key: 'TEXT',
      value: 'not in mailbox',
    });
    const esort = as(ok('C1 UID SORT RETURN (COUNT) (DATE) UTF-8 UNDELETED UNKEYWORD $Junk\r\n'), 'SORT').args;
    assert.deepEqual(esort.returnOptions, ['COUNT']);
    assert.equal(esort.search.key, 'AND');
    const display = as(ok('a SORT (DISPLAYFROM REVERSE DISPLAYTO ARRIVAL CC FROM SIZE TO) UTF-8 ALL\r\n'), 'SORT').args.criteria;
    assert.equal(display.length, 7);
    assert.deepEqual(display[1], { key: 'DISPLAYTO', reverse: true });
    assert.match(bad('a SORT (FOO) UTF-8 ALL\r\n').error, /Unknown sort key FOO/);
    assert.match(bad('a SORT (REVERSE) UTF-8 ALL\r\n').error, /after REVERSE/);
    assert.match(bad('a SORT (DATE) ALL\r\n').error, /Unsupported charset ALL/);
    assert.match(bad('a SORT (DATE) UTF-8\r\n').error, /search criteria/);
    assert.match(bad('a SORT () UTF-8 ALL\r\n').error, /Empty/);
  });

  it('parses THREAD', () => {
    assert.deepEqual(as(ok('A283 THREAD ORDEREDSUBJECT UTF-8 SINCE 5-MAR-2000\r\n'), 'THREAD').args, {
      algorithm: 'ORDEREDSUBJECT',
      charset: 'UTF-8',
      search: { key: 'SINCE', date: d(2000, 3, 5) },
    });
    const refs = as(ok('A284 UID THREAD REFERENCES US-ASCII TEXT "gewp"\r\n'), 'THREAD');
    assert.deepEqual([refs.uid, refs.args.algorithm], [true, 'REFERENCES']);
    assert.match(bad('a THREAD REFS UTF-8 ALL\r\n').error, /Unsupported threading algorithm REFS/);
  });
});

describe('parser: errors', () => {
  it('recovers the tag whenever it is valid', () => {
    assert.deepEqual(bad('a1 FOO\r\n'), { ok: false, tag: 'a1', name: null, status: 'BAD', code: null, error: 'Unknown command FOO' });
    assert.equal(bad('+ NOOP\r\n').tag, null);
    assert.equal(bad('a(1 NOOP\r\n').tag, null);
    assert.equal(bad('a1\r\n').tag, 'a1');
    assert.match(bad('a1\r\n').error, /command name/);
    assert.equal(bad('a1 NOOP extra\r\n').tag, 'a1');
    assert.match(bad('a1 NOOP extra\r\n').error, /Unexpected "extra"/);
    assert.match(bad('a1 NOOP  \r\n').error, /Unexpected trailing space/);
    assert.match(bad('a1  NOOP\r\n').error, /command name/);
    assert.match(bad('a1 UID LOGIN x y\r\n').error, /UID LOGIN is not a command/);
  });

  it('rejects malformed strings', () => {
    assert.match(bad('a LOGIN "unterminated\r\n').error, /Unterminated quoted string/);
    assert.match(bad('a LOGIN "bad\\escape" x\r\n').error, /Invalid escape/);
    assert.match(bad(Buffer.from('a LOGIN "\xff\xfe" x\r\n', 'latin1')).error, /not valid UTF-8/);
    assert.match(bad(Buffer.from('a LOGIN {3}\r\na\0b x\r\n', 'latin1')).error, /NUL/);
    assert.match(bad('a LOGIN {3} x\r\n').error, /Invalid literal/);
    // "~" is an atom character, so literal8 where an astring is due fails at the "{".
    assert.match(bad('a LOGIN ~{3}\r\nabc x\r\n').error, /space before a password/);
  });

  it('cleans client text quoted in error messages', () => {
    const f = bad(`a1 ${'X'.repeat(500)}\r\n`);
    assert.ok(f.error.length < 80, f.error);
    assert.ok(!/[\r\n]/.test(bad(Buffer.from('a SEARCH FOO\x01\r\n', 'latin1')).error));
  });

  it('checks literal framing it did not produce itself', () => {
    const forged: FramedCommand = {
      tag: 'a',
      bytes: 0,
      pieces: [
        { type: 'text', data: Buffer.from('a LOGIN {5}') },
        { type: 'literal', data: Buffer.from('abc'), binary: false, sync: true },
        { type: 'text', data: Buffer.from(' x') },
      ],
    };
    const r = parseCommand(forged);
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.error, /length/);
    const missing = parseCommand({ tag: 'a', bytes: 0, pieces: [{ type: 'text', data: Buffer.from('a LOGIN {5}') }] });
    assert.match(missing.ok ? '' : missing.error, /missing/);
    const empty = parseCommand({ tag: null, bytes: 0, pieces: [] });
    assert.equal(empty.ok, false);
  });
});

describe('parser: robustness and cost', () => {
  const samples = [
    'a1 UID FETCH 1:* (UID FLAGS ENVELOPE BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>)',
    'a2 SEARCH RETURN (MIN COUNT) CHARSET UTF-8 OR (FROM "x" SINCE 1-Feb-1994) NOT UID 1:5,7 MODSEQ 5',
    'a3 STORE 1:3 (UNCHANGEDSINCE 9) +FLAGS.SILENT (\\Seen $Junk)',
    'a4 LIST (SUBSCRIBED RECURSIVEMATCH) "" ("INBOX" "%") RETURN (CHILDREN STATUS (MESSAGES UNSEEN))',
    'a5 SELECT INBOX (QRESYNC (67890007 90060115194045000 1:29997 (5000,7500 15000,22500)))',
    'a6 UID SORT RETURN (COUNT) (REVERSE DATE SUBJECT) UTF-8 UNDELETED',
    'a7 CREATE "Sent Items" (USE (\\Sent))',
    'a8 ID ("name" "x" "version" NIL)',
    'a9 AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=',
    'b1 APPEND INBOX (\\Seen) "17-Jul-1996 02:44:25 -0700" {5+}\r\nhello',
    'b2 THREAD REFERENCES UTF-8 SUBJECT "a b" HEADER X-Foo bar',
  ];

  it('parses every sample (so the mutation test below starts from valid input)', () => {
    for (const s of samples) ok(`${s}\r\n`);
  });

  it('never throws on mutated commands and keeps the tag', () => {
    const mutation = fc.record({
      at: fc.nat(),
      del: fc.integer({ min: 0, max: 4 }),
      ins: fc.string({ unit: fc.constantFrom(...' ()[]<>{}"\\*%$:,.+-~0123456789AZaz\u00e9\x00\x7f'.split('')), maxLength: 6 }),
    });
    fc.assert(
      fc.property(fc.constantFrom(...samples), fc.array(mutation, { minLength: 1, maxLength: 4 }), (sample, muts) => {
        const tag = sample.slice(0, 2);
        let s = sample;
        for (const m of muts) {
          const at = 3 + (m.at % Math.max(1, s.length - 2));
          s = s.slice(0, at) + m.ins + s.slice(at + m.del);
        }
        for (const e of frameCommands(Buffer.from(`${s}\r\n`, 'utf8'))) {
          if (e.type !== 'command') continue;
          const r = parseCommand(e.command);
          if (e.command.tag === tag && !r.ok) {
            assert.equal(r.tag, tag);
            assert.ok(r.error.length > 0);
            assert.notEqual(r.error, INTERNAL_ERROR);
            assert.ok(!/[\r\n]/.test(r.error));
          }
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        for (const e of frameCommands(Buffer.from(bytes), { maxLiteralBytes: 100 })) {
          if (e.type === 'command') {
            const r = parseCommand(e.command);
            if (r.ok) assert.equal(r.command.tag, e.command.tag);
            else assert.notEqual(r.error, INTERNAL_ERROR);
          }
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws on commands assembled from grammar tokens', () => {
    const names = ['SEARCH', 'UID SEARCH', 'FETCH', 'UID FETCH', 'STORE', 'LIST', 'SELECT', 'APPEND', 'SORT', 'THREAD', 'STATUS', 'CREATE', 'ID', 'LOGIN', 'AUTHENTICATE', 'SETQUOTA', 'ENABLE', 'UID EXPUNGE', 'COPY'];
    const token = fc.constantFrom(
      ' ', '(', ')', '[', ']', '<0.5>', '"', '"x"', '""', '\\Seen', 'NIL', 'INBOX', '1:*', '$', '*', '5', '0', '4294967296',
      'RETURN', 'CHARSET', 'UTF-8', 'OR', 'NOT', 'ALL', 'HEADER', 'MODSEQ', 'SINCE', '1-Feb-1994', 'BODY', 'BODY.PEEK',
      'HEADER.FIELDS', 'MIME', 'TEXT', 'BINARY', 'PREVIEW', '(LAZY)', 'CHANGEDSINCE', 'VANISHED', 'UNCHANGEDSINCE', '+FLAGS',
      'QRESYNC', 'CONDSTORE', 'USE', 'REVERSE', 'DATE', 'REFERENCES', 'UTF8', '~', '.', 'STATUS', 'MESSAGES', 'SUBSCRIBED', '&AOk-',
    );
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.array(token, { maxLength: 25 }), (name, tokens) => {
        const line = `t1 ${name} ${tokens.join('')}\r\n`;
        for (const e of frameCommands(Buffer.from(line))) {
          if (e.type !== 'command') continue;
          const r = parseCommand(e.command);
          if (!r.ok) {
            assert.equal(r.tag, 't1');
            assert.notEqual(r.error, INTERNAL_ERROR);
          }
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('is cheap for the common FETCH and a 20 KB APPEND', () => {
    const fetch = frame('a UID FETCH 1:* (UID FLAGS ENVELOPE)\r\n');
    let t = performance.now();
    for (let i = 0; i < 50000; i++) parseCommand(fetch);
    const fetchMs = performance.now() - t;
    assert.ok(fetchMs < 3000, `50,000 FETCH parses took ${fetchMs} ms`);
    const append = Buffer.from(`a APPEND INBOX (\\Seen) {20480}\r\n${'m'.repeat(20480)}\r\n`);
    t = performance.now();
    for (let i = 0; i < 2000; i++) {
      const events = frameCommands(append);
      const e = events[0];
      assert.ok(e?.type === 'command' && parseCommand(e.command).ok);
    }
    const appendMs = performance.now() - t;
    assert.ok(appendMs < 3000, `2,000 framed and parsed 20 KB APPENDs took ${appendMs} ms`);
  });
});
