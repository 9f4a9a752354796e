import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import imapParser from 'imapflow/lib/handler/imap-parser.js';
import { parseBodystructure, parseEnvelope } from 'imapflow/lib/tools.js';
import { bodyStructureToImap, envelopeToImap, imapNString, imapString } from './imap-serialize.ts';
import { parseMessageSync } from './parse.ts';
import { crlf, forwardedLines, mixedLines } from './test-fixtures.ts';

/** The message behind the ENVELOPE and BODY examples of RFC 9051 §7.5.2 (body sized to 3028 octets, 92 lines). */
function rfcExampleMessage(): Buffer {
  const bodyLines = [...Array.from({ length: 91 }, () => 'x'.repeat(31)), 'y'.repeat(23)];
  return crlf([
    'Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)',
    'From: Terry Gray <gray@cac.washington.edu>',
    'Subject: IMAP4rev2 WG mtg summary and minutes',
    'To: imap@cac.washington.edu',
    'cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>',
    'Message-Id: <B27397-0100000@cac.washington.edu>',
    'MIME-Version: 1.0',
    'Content-Type: TEXT/PLAIN; CHARSET=US-ASCII',
    '',
    ...bodyLines,
    '',
  ]);
}

/** The multipart of the RFC 3501 §7.4.2 BODYSTRUCTURE example: 1152 octets / 23 lines and 4554 octets / 73 lines. */
function rfcMultipartMessage(): Buffer {
  const text = [...Array.from({ length: 22 }, () => 't'.repeat(48)), 't'.repeat(52)];
  const diff = [...Array.from({ length: 72 }, () => 'A'.repeat(60)), 'A'.repeat(90)];
  return crlf([
    'MIME-Version: 1.0',
    'Content-Type: MULTIPART/MIXED; BOUNDARY="16820115-1435684063-837788383"',
    '',
    '--16820115-1435684063-837788383',
    'Content-Type: TEXT/PLAIN; CHARSET=US-ASCII',
    '',
    ...text,
    '--16820115-1435684063-837788383',
    'Content-Type: TEXT/PLAIN; CHARSET=US-ASCII; NAME="cc.diff"',
    'Content-ID: <960723163407.20117h@cac.washington.edu>',
    'Content-Description: Compiler diff',
    'Content-Transfer-Encoding: BASE64',
    '',
    ...diff,
    '--16820115-1435684063-837788383--',
    '',
  ]);
}

describe('imapString / imapNString', () => {
  it('quotes, escaping backslash and double quote', () => {
    assert.equal(imapString('say "hi" \\ now'), '"say \\"hi\\" \\\\ now"');
    assert.equal(imapString(''), '""');
    assert.equal(imapNString(null), 'NIL');
    assert.equal(imapNString('NIL'), '"NIL"');
  });

  it('sends CR, LF and long text as literals counted in UTF-8 bytes', () => {
    assert.equal(imapString('a\r\nb'), '{4}\r\na\r\nb');
    assert.equal(imapString('x'.repeat(1001)), `{1001}\r\n${'x'.repeat(1001)}`);
    assert.equal(imapString('ü'.repeat(500)), `"${'ü'.repeat(500)}"`);
    assert.equal(imapString('ü'.repeat(501)), `{1002}\r\n${'ü'.repeat(501)}`);
    assert.equal(imapString('a\0b'), '"ab"');
  });
});

describe('envelopeToImap', () => {
  it('matches the RFC 9051 §7.5.2 example', () => {
    const msg = parseMessageSync(rfcExampleMessage());
    assert.equal(
      envelopeToImap(msg.envelope),
      '("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev2 WG mtg summary and minutes" ' +
        '(("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) ' +
        '(("Terry Gray" NIL "gray" "cac.washington.edu")) ((NIL NIL "imap" "cac.washington.edu")) ' +
        '((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL ' +
        '"<B27397-0100000@cac.washington.edu>")',
    );
  });

  it('writes group markers, quoted names and literals', () => {
    const msg = parseMessageSync(
      crlf([
        `Subject: ${'long '.repeat(250)}`,
        'From: "Doe, \\"JD\\" Jane" <jane@example.com>',
        'To: Friends: ann@example.com;',
        '',
        '',
      ]),
    );
    const subject = 'long '.repeat(250).trim();
    assert.equal(
      envelopeToImap(msg.envelope),
      `(NIL {${subject.length}}\r\n${subject} ` +
        '(("Doe, \\"JD\\" Jane" NIL "jane" "example.com")) (("Doe, \\"JD\\" Jane" NIL "jane" "example.com")) ' +
        '(("Doe, \\"JD\\" Jane" NIL "jane" "example.com")) ((NIL NIL "Friends" NIL)(NIL NIL "ann" "example.com")(NIL NIL NIL NIL)) ' +
        'NIL NIL NIL NIL)',
    );
  });
});

describe('bodyStructureToImap', () => {
  it('matches the RFC 9051 single-part BODY example', () => {
    const msg = parseMessageSync(rfcExampleMessage());
    assert.equal(bodyStructureToImap(msg.root, false), '("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92)');
    assert.equal(
      bodyStructureToImap(msg.root, true),
      '("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92 NIL NIL NIL NIL)',
    );
  });

  it('matches the RFC 3501 multipart BODY example', () => {
    const msg = parseMessageSync(rfcMultipartMessage());
    assert.equal(
      bodyStructureToImap(msg.root, false),
      '(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1152 23)' +
        '("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "cc.diff") "<960723163407.20117h@cac.washington.edu>" ' +
        '"Compiler diff" "BASE64" 4554 73) "MIXED")',
    );
  });

  it('adds all extension data for BODYSTRUCTURE, RFC 2231-encoding non-ASCII parameters', () => {
    const msg = parseMessageSync(crlf(mixedLines()));
    assert.equal(
      bodyStructureToImap(msg.root, true),
      '(("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" 33 1 NIL NIL NIL NIL)' +
        '("APPLICATION" "PDF" ("NAME" "invoice.pdf") "<pdf1@example.com>" "The invoice" "BASE64" 68 NIL ' +
        '("ATTACHMENT" ("FILENAME*" "utf-8\'\'Rechnung%20f%C3%BCr%20M%C3%A4rz.pdf")) ("de" "en") ' +
        '"http://example.com/invoice.pdf") "MIXED" ("BOUNDARY" "==MIX==") NIL NIL NIL)',
    );
    assert.equal(
      bodyStructureToImap(msg.root, false),
      '(("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" 33 1)' +
        '("APPLICATION" "PDF" ("NAME" "invoice.pdf") "<pdf1@example.com>" "The invoice" "BASE64" 68) "MIXED")',
    );
  });

  it('nests envelope, body and lines for message/rfc822', () => {
    const msg = parseMessageSync(crlf(forwardedLines()));
    const innerEnvelope =
      '("Wed, 03 Jan 2024 11:00:00 +0000" "Lunch?" (("Erin" NIL "erin" "example.com")) ' +
      '(("Erin" NIL "erin" "example.com")) (("Erin" NIL "erin" "example.com")) ' +
      '(("Carol" NIL "carol" "example.com")) NIL NIL NIL "<orig-1@example.com>")';
    const innerBody =
      '(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 20 1 NIL NIL NIL NIL)' +
      '("TEXT" "HTML" ("CHARSET" "us-ascii") NIL NIL "7BIT" 34 1 NIL NIL NIL NIL) "ALTERNATIVE" ("BOUNDARY" "inner") NIL NIL NIL)';
    assert.equal(
      bodyStructureToImap(msg.root, true),
      '(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 10 1 NIL NIL NIL NIL)' +
        `("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 383 ${innerEnvelope} ${innerBody} 16 NIL ` +
        '("ATTACHMENT" ("FILENAME" "lunch.eml")) NIL NIL) "MIXED" ("BOUNDARY" "outer") NIL NIL NIL)',
    );
  });

  it('can be read back by imapflow', async () => {
    const msg = parseMessageSync(crlf(forwardedLines()));
    const mixed = parseMessageSync(crlf(mixedLines()));
    const line = `* 1 FETCH (ENVELOPE ${envelopeToImap(msg.envelope)} BODYSTRUCTURE ${bodyStructureToImap(msg.root, true)} BODY ${bodyStructureToImap(mixed.root, true)})`;
    const parsed = await imapParser(line);
    const list = parsed.attributes?.[1] as unknown as Parameters<typeof parseEnvelope>[0];
    const envelope = parseEnvelope(list[1] as unknown as Parameters<typeof parseEnvelope>[0]);
    assert.equal(envelope.subject, 'Fwd: Lunch?');
    assert.deepEqual(envelope.from, [{ name: 'Carol', address: 'carol@example.com' }]);
    const structure = parseBodystructure(list[3] as unknown as Parameters<typeof parseBodystructure>[0]);
    assert.equal(structure.type, 'multipart/mixed');
    const forwarded = structure.childNodes?.[1];
    assert.equal(forwarded?.type, 'message/rfc822');
    assert.equal(forwarded?.envelope?.subject, 'Lunch?');
    assert.equal(forwarded?.childNodes?.[0]?.type, 'multipart/alternative');
    assert.equal(forwarded?.lineCount, 16);
    const attachment = parseBodystructure(list[5] as unknown as Parameters<typeof parseBodystructure>[0]).childNodes?.[1];
    assert.equal(attachment?.dispositionParameters?.filename, 'Rechnung für März.pdf');
    assert.deepEqual(attachment?.language, ['de', 'en']);
  });
});
