import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatImapDate, formatImapDateTime, parseImapDate, parseImapDateTime } from './dates.ts';

describe('IMAP dates', () => {
  it('parses date-text to the UTC midnight of the day', () => {
    assert.equal(parseImapDate('1-Feb-1994'), Date.UTC(1994, 1, 1));
    assert.equal(parseImapDate('01-Feb-1994'), Date.UTC(1994, 1, 1));
    assert.equal(parseImapDate('"1-Feb-1994"'), Date.UTC(1994, 1, 1));
    assert.equal(parseImapDate('29-feb-2024'), Date.UTC(2024, 1, 29));
    assert.equal(parseImapDate('31-DEC-1999'), Date.UTC(1999, 11, 31));
  });

  it('rejects impossible and malformed dates', () => {
    for (const bad of ['29-Feb-2023', '30-Feb-2024', '31-Apr-2020', '0-Jan-2020', '1-Foo-2020', '1-Feb-94', '1 Feb 1994', '', '123-Feb-1994', '29-Feb-1900']) {
      assert.equal(parseImapDate(bad), null, bad);
    }
    assert.equal(parseImapDate('29-Feb-2000'), Date.UTC(2000, 1, 29));
  });

  it('parses date-time with zones (RFC 9051 examples)', () => {
    assert.equal(parseImapDateTime('17-Jul-1996 02:44:25 -0700'), Date.UTC(1996, 6, 17, 9, 44, 25));
    assert.equal(parseImapDateTime(' 7-Feb-1994 21:52:25 -0800'), Date.UTC(1994, 1, 8, 5, 52, 25));
    assert.equal(parseImapDateTime('07-Feb-1994 21:52:25 -0800'), Date.UTC(1994, 1, 8, 5, 52, 25));
    assert.equal(parseImapDateTime('7-Feb-1994 21:52:25 +0000'), Date.UTC(1994, 1, 7, 21, 52, 25));
    assert.equal(parseImapDateTime('01-Jan-2000 00:30:00 +0100'), Date.UTC(1999, 11, 31, 23, 30, 0));
  });

  it('rejects invalid date-times', () => {
    for (const bad of [
      '17-Jul-1996 24:00:00 +0000',
      '17-Jul-1996 12:60:00 +0000',
      '17-Jul-1996 12:00:61 +0000',
      '17-Jul-1996 12:00:00 +0060',
      '17-Jul-1996 12:00:00',
      '17-Jul-1996 12:00 +0000',
      '31-Jun-1996 12:00:00 +0000',
      '17-Jul-1996  12:00:00 +0000',
    ]) {
      assert.equal(parseImapDateTime(bad), null, bad);
    }
  });

  it('does not map two-digit-looking years into the 1900s', () => {
    assert.equal(new Date(parseImapDate('1-Jan-0099') ?? 0).getUTCFullYear(), 99);
  });

  it('formats date-time with a space-padded day', () => {
    assert.equal(formatImapDateTime(Date.UTC(1996, 6, 17, 9, 44, 25)), '17-Jul-1996 09:44:25 +0000');
    assert.equal(formatImapDateTime(Date.UTC(1994, 1, 7, 5, 2, 3)), ' 7-Feb-1994 05:02:03 +0000');
    assert.equal(formatImapDateTime(Date.UTC(1996, 6, 17, 9, 44, 25), -420), '17-Jul-1996 02:44:25 -0700');
    assert.equal(formatImapDateTime(Date.UTC(1996, 6, 17, 9, 44, 25), 330), '17-Jul-1996 15:14:25 +0530');
    assert.equal(formatImapDate(Date.UTC(1994, 1, 1, 13)), '1-Feb-1994');
  });

  it('round-trips formatted date-times to the second', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1000, 0, 1), max: Date.UTC(9999, 11, 31) }),
        fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
        (ms, offset) => {
          const seconds = Math.floor(ms / 1000) * 1000;
          assert.equal(parseImapDateTime(formatImapDateTime(seconds, offset)), seconds);
          assert.equal(parseImapDate(formatImapDate(seconds)), Math.floor(seconds / 86400000) * 86400000);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
