import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseCommand } from './parser.ts';
import { frameCommands } from './reader.ts';
import { expandSet, parseSequenceSet } from './seqset.ts';
import type { ImapCommand } from './types.ts';
import {
  astring,
  canQuote,
  compressUids,
  dateTime,
  flagList,
  imapString,
  list,
  literal,
  literal8,
  mailboxName,
  nstring,
  quoted,
  sectionName,
} from './writer.ts';

/** Frames and parses a command line built by the writer. */
function parsed(text: string, utf8 = false): ImapCommand {
  const events = frameCommands(Buffer.from(`${text}\r\n`, 'utf8'));
  assert.equal(events.length, 1, `one command expected from ${JSON.stringify(text)}`);
  const e = events[0];
  assert.ok(e?.type === 'command');
  const r = parseCommand(e.command, { utf8 });
  assert.ok(r.ok, `${JSON.stringify(text)}: ${r.ok ? '' : r.error}`);
  return r.command;
}

describe('writer strings', () => {
  it('quotes with escapes', () => {
    assert.equal(quoted('hello'), '"hello"');
    assert.equal(quoted('say "hi" \\ bye'), '"say \\"hi\\" \\\\ bye"');
    assert.equal(quoted(''), '""');
  });

  it('never lets CR, LF or NUL into a quoted string', () => {
    assert.equal(quoted('a\r\nb\0c'), '"abc"');
  });

  it('decides when quoting is safe', () => {
    assert.equal(canQuote('plain text'), true);
    assert.equal(canQuote('line\nbreak'), false);
    assert.equal(canQuote('nul\0'), false);
    assert.equal(canQuote('x'.repeat(1000)), true);
    assert.equal(canQuote('x'.repeat(1001)), false);
    assert.equal(canQuote('caf\u00e9'), false);
    assert.equal(canQuote('caf\u00e9', true), true);
    assert.equal(canQuote('\u00e9'.repeat(501), true), false); // 1002 bytes
  });

  it('writes literals measured in bytes', () => {
    assert.equal(literal('hello'), '{5}\r\nhello');
    assert.equal(literal('caf\u00e9'), '{5}\r\ncaf\u00e9');
    assert.deepEqual(literal(Buffer.from([0x41, 0x42])), Buffer.from('{2}\r\nAB'));
    assert.deepEqual(literal8(Buffer.from([0, 1])), Buffer.from('~{2}\r\n\0\x01', 'latin1'));
  });

  it('chooses quoted or literal for strings', () => {
    assert.equal(imapString('hello'), '"hello"');
    assert.equal(imapString('two\r\nlines'), '{10}\r\ntwo\r\nlines');
    assert.equal(imapString('caf\u00e9'), '{5}\r\ncaf\u00e9');
    assert.equal(imapString('caf\u00e9', true), '"caf\u00e9"');
    assert.equal(imapString('y'.repeat(1001)).slice(0, 8), '{1001}\r\n');
  });

  it('writes atoms where an astring allows them', () => {
    assert.equal(astring('INBOX'), 'INBOX');
    assert.equal(astring('a]b'), 'a]b');
    assert.equal(astring('two words'), '"two words"');
    assert.equal(astring(''), '""');
    assert.equal(astring('NIL'), '"NIL"');
    assert.equal(astring('nil'), '"nil"');
    assert.equal(astring('a*b'), '"a*b"');
    assert.equal(astring('{5}'), '"{5}"');
    assert.equal(astring('\u00e9t\u00e9', true), '"\u00e9t\u00e9"');
  });

  it('writes NIL for null nstrings and never an atom', () => {
    assert.equal(nstring(null), 'NIL');
    assert.equal(nstring('NIL'), '"NIL"');
    assert.equal(nstring('x'), '"x"');
  });

  it('writes mailbox names in modified UTF-7 unless UTF-8 is on', () => {
    assert.equal(mailboxName('Entw\u00fcrfe'), 'Entw&APw-rfe');
    assert.equal(mailboxName('Entw\u00fcrfe', true), '"Entw\u00fcrfe"');
    assert.equal(mailboxName('Sent Items'), '"Sent Items"');
    assert.equal(mailboxName('INBOX'), 'INBOX');
  });
});

describe('writer lists, sets and dates', () => {
  it('writes lists and flag lists', () => {
    assert.equal(list(['MESSAGES', 3, 'UNSEEN', 0]), '(MESSAGES 3 UNSEEN 0)');
    assert.equal(list([]), '()');
    assert.equal(flagList(['\\Seen', '$Junk']), '(\\Seen $Junk)');
    assert.equal(flagList(new Set<string>()), '()');
  });

  it('compresses numbers into a sequence set', () => {
    assert.equal(compressUids([1, 2, 3, 4, 5, 7, 9, 10, 11, 12]), '1:5,7,9:12');
    assert.equal(compressUids([42]), '42');
    assert.equal(compressUids([]), '');
    assert.equal(compressUids([5, 3, 4, 1]), '1,3:5');
    assert.equal(compressUids([1, 1, 2, 2, 4]), '1:2,4');
    assert.equal(compressUids([4294967294, 4294967295]), '4294967294:4294967295');
  });

  it('compression round-trips through the sequence-set parser', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 100 }), (nums) => {
        const text = compressUids(nums);
        const set = parseSequenceSet(text);
        assert.ok(set !== null && set !== '$', text);
        assert.deepEqual(expandSet(set, 300), [...new Set(nums)].sort((a, b) => a - b));
        // Compact: no two neighbouring ranges could have been merged.
        for (let i = 1; i < set.length; i++) {
          const prev = set[i - 1];
          const cur = set[i];
          assert.ok(prev !== undefined && cur !== undefined && Number(cur.from) > Number(prev.to) + 1, text);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('formats date-times quoted', () => {
    assert.equal(dateTime(Date.UTC(1996, 6, 17, 9, 44, 25)), '"17-Jul-1996 09:44:25 +0000"');
    assert.equal(dateTime(Date.UTC(1996, 6, 17, 9, 44, 25), -420), '"17-Jul-1996 02:44:25 -0700"');
    assert.equal(dateTime(Date.UTC(2024, 0, 5, 0, 0, 0)), '" 5-Jan-2024 00:00:00 +0000"');
  });

  it('names sections the way FETCH responses echo them', () => {
    assert.equal(sectionName({ part: [], kind: 'ALL' }), '');
    assert.equal(sectionName({ part: [1, 2], kind: 'ALL' }), '1.2');
    assert.equal(sectionName({ part: [], kind: 'HEADER' }), 'HEADER');
    assert.equal(sectionName({ part: [4, 2], kind: 'MIME' }), '4.2.MIME');
    assert.equal(sectionName({ part: [], kind: 'HEADER.FIELDS', fields: ['DATE', 'FROM'] }), 'HEADER.FIELDS (DATE FROM)');
    assert.equal(sectionName({ part: [2], kind: 'HEADER.FIELDS.NOT', fields: ['X-Spam'] }), '2.HEADER.FIELDS.NOT (X-Spam)');
  });
});

describe('writer output parsed back by the parser', () => {
  // Strings IMAP can carry: any Unicode except NUL, which CHAR8 excludes.
  const text = fc.string({ unit: 'binary', maxLength: 60 }).filter((s) => !s.includes('\0'));
  const mixed = fc.oneof(text, fc.string({ unit: fc.constantFrom(...'ab "\\\r\n{}()*%]~+NIL'.split('')), maxLength: 30 }));

  it('round-trips astrings and strings through LOGIN', () => {
    fc.assert(
      fc.property(mixed, mixed, fc.boolean(), (user, pass, utf8) => {
        const cmd = parsed(`a1 LOGIN ${astring(user, utf8)} ${imapString(pass, utf8)}`);
        assert.deepEqual(cmd.args, { username: user, password: pass });
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips long strings as literals', () => {
    const long = 'x'.repeat(1500) + '\u00e9';
    const cmd = parsed(`a1 LOGIN ${astring(long)} ${astring(long, true)}`);
    assert.deepEqual(cmd.args, { username: long, password: long });
  });

  it('round-trips nstrings through ID', () => {
    fc.assert(
      fc.property(fc.option(mixed, { nil: null }), (value) => {
        const cmd = parsed(`a1 ID ("x" ${nstring(value)})`);
        assert.deepEqual(cmd.args, { params: [{ field: 'x', value }] });
      }),
      { numRuns: 1000 },
    );
  });

  it('round-trips mailbox names in both modes', () => {
    fc.assert(
      fc.property(mixed, fc.boolean(), (name, utf8) => {
        const cmd = parsed(`a1 DELETE ${mailboxName(name, utf8)}`, utf8);
        const expected = name.toUpperCase() === 'INBOX' ? 'INBOX' : name;
        assert.deepEqual(cmd.args, { mailbox: expected });
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips flag lists through STORE', () => {
    const keyword = fc.string({ unit: fc.constantFrom(...'abcXYZ$_-019'.split('')), minLength: 1, maxLength: 8 });
    const flag = fc.oneof(keyword, fc.constantFrom('\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft'));
    fc.assert(
      fc.property(fc.array(flag, { maxLength: 6 }), (flags) => {
        const cmd = parsed(`a1 STORE 1 FLAGS ${flagList(flags)}`);
        assert.equal(cmd.name, 'STORE');
        assert.deepEqual(cmd.name === 'STORE' ? cmd.args.flags : null, flags);
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips APPEND dates', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Date.UTC(9999, 0, 1) / 1000 }), (seconds) => {
        const cmd = parsed(`a1 APPEND INBOX ${dateTime(seconds * 1000)} {1}\r\nx`);
        assert.equal(cmd.name === 'APPEND' ? cmd.args.messages[0]?.date : null, seconds * 1000);
      }),
      { numRuns: 500 },
    );
  });
});
