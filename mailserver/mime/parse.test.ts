import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { baseSubject } from './base-subject.ts';
import { htmlToText } from './html-text.ts';
import { LIMITS } from './limits.ts';
import { parseMessage, parseMessageSync } from './parse.ts';
import {
  alternativeLines,
  base64Lines,
  bodyOf,
  checkTree,
  crlf,
  encodedWordB,
  forwardedLines,
  headerOf,
  HTML_SOURCE,
  lf,
  mixedLines,
  PDF_BYTES,
} from './test-fixtures.ts';
import type { MimePart } from './types.ts';

function child(part: MimePart | undefined, index: number): MimePart {
  assert.ok(part, 'parent exists');
  const c = part.children[index];
  assert.ok(c, `child ${index} of ${part.path} exists`);
  return c;
}

/** Generous bound for a loaded two-core CI machine; the real figures are far lower. */
const HOSTILE_MS = 3000;

function timed<T>(fn: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = fn();
  return { value, ms: performance.now() - start };
}

describe('parseMessage: multipart/alternative with quoted-printable and base64', () => {
  const raw = crlf(alternativeLines());
  const text = raw.toString('latin1');
  const msg = parseMessageSync(raw);

  it('finds the tree with IMAP paths and exact offsets', () => {
    checkTree(raw, msg.root);
    assert.equal(msg.size, raw.length);
    assert.equal(msg.root.type, 'multipart');
    assert.equal(msg.root.subtype, 'alternative');
    assert.equal(msg.root.path, '');
    assert.equal(msg.root.bodyStart, text.indexOf('This is a multi-part'));
    assert.deepEqual(
      msg.root.children.map((c) => `${c.path} ${c.type}/${c.subtype}`),
      ['1 text/plain', '2 text/html'],
    );
    const plain = child(msg.root, 0);
    assert.equal(plain.headerStart, text.indexOf('--b1_alt\r\n') + '--b1_alt\r\n'.length);
    assert.equal(
      headerOf(raw, plain),
      'Content-Type: text/plain; charset=ISO-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n',
    );
    // The line break before a delimiter belongs to the delimiter, not to the body (RFC 2046 §5.1.1).
    assert.equal(
      bodyOf(raw, plain),
      'Gr=FC=DFe aus M=FCnchen!\r\nZweite Zeile mit einem sehr langen Satz, der umbrochen wird =\r\nund weitergeht.',
    );
    assert.equal(plain.lines, 3);
    assert.equal(plain.encoding, 'QUOTED-PRINTABLE');
    assert.deepEqual(plain.params, { charset: 'ISO-8859-1' });
    const html = child(msg.root, 1);
    assert.equal(html.encoding, 'BASE64');
    assert.equal(bodyOf(raw, html), base64Lines(HTML_SOURCE).join('\r\n'));
    assert.equal(html.lines, base64Lines(HTML_SOURCE).length);
  });

  it('decodes subject, addresses, date and ids', () => {
    assert.equal(msg.subject, 'Grüße aus München');
    assert.equal(msg.baseSubject, 'Grüße aus München');
    assert.equal(msg.envelope.subject, '=?ISO-8859-1?Q?Gr=FC=DFe_aus_M=FCnchen?=');
    assert.equal(msg.sentDate, Date.UTC(2024, 0, 2, 9, 30, 0));
    assert.equal(msg.messageId, 'alt-1@example.com');
    assert.equal(msg.from, 'Jane Doe <jane@example.com>');
    assert.equal(msg.to, 'John Smith <john@example.org>, bob@example.net');
    assert.equal(msg.cc, 'Ümläut Person <umlaut@example.de>');
    assert.equal(msg.sortFrom, 'jane');
    assert.equal(msg.sortTo, 'john');
    assert.equal(msg.sortCc, 'umlaut');
    assert.equal(msg.displayFrom, 'jane doe');
    assert.equal(msg.displayTo, 'john smith');
    assert.deepEqual(msg.envelope.cc, [
      { name: encodedWordB('Ümläut Person'), adl: null, mailbox: 'umlaut', host: 'example.de' },
    ]);
    // RFC 9051: absent Sender and Reply-To are reported as From.
    assert.deepEqual(msg.envelope.sender, msg.envelope.from);
    assert.deepEqual(msg.envelope.replyTo, msg.envelope.from);
  });

  it('extracts search text from both parts, without HTML markup, scripts or styles', () => {
    assert.match(msg.searchText, /Grüße aus München!\nZweite Zeile mit einem sehr langen Satz, der umbrochen wird und weitergeht\./);
    assert.match(msg.searchText, /weitergeht\.\nGrüße aus München!\nZweiter Absatz$/);
    assert.doesNotMatch(msg.searchText, /alert|color|Ignored title|<p>/);
    assert.equal(msg.preview, 'Grüße aus München! Zweite Zeile mit einem sehr langen Satz, der umbrochen wird und weitergeht.');
    assert.equal(msg.hasAttachment, false);
  });

  it('keeps every header decoded in headerText', () => {
    assert.match(msg.headerText, /^From: "Jane Doe" <jane@example.com>$/m);
    assert.match(msg.headerText, /^Subject: Grüße aus München$/m);
    assert.match(msg.headerText, /^Cc: Ümläut Person <umlaut@example.de>$/m);
  });

  it('gives the same structure, text and line counts for the bare-LF form', () => {
    const rawLf = lf(alternativeLines());
    const lfMsg = parseMessageSync(rawLf);
    checkTree(rawLf, lfMsg.root);
    const shape = (p: MimePart): unknown => [p.path, p.type, p.subtype, p.lines, p.children.map(shape)];
    assert.deepEqual(shape(lfMsg.root), shape(msg.root));
    assert.equal(
      bodyOf(rawLf, child(lfMsg.root, 0)),
      'Gr=FC=DFe aus M=FCnchen!\nZweite Zeile mit einem sehr langen Satz, der umbrochen wird =\nund weitergeht.',
    );
    assert.equal(lfMsg.searchText, msg.searchText);
    assert.equal(lfMsg.preview, msg.preview);
    assert.equal(lfMsg.subject, msg.subject);
  });
});

describe('parseMessage: multipart/mixed with an RFC 2231 named attachment', () => {
  const raw = crlf(mixedLines());
  const msg = parseMessageSync(raw);
  const pdf = child(msg.root, 1);

  it('reads the attachment part fields', () => {
    checkTree(raw, msg.root);
    assert.equal(pdf.path, '2');
    assert.equal(`${pdf.type}/${pdf.subtype}`, 'application/pdf');
    assert.deepEqual(pdf.params, { name: 'invoice.pdf' });
    assert.deepEqual(pdf.disposition, { type: 'attachment', params: { filename: 'Rechnung für März.pdf' } });
    assert.equal(pdf.id, '<pdf1@example.com>');
    assert.equal(pdf.description, 'The invoice');
    assert.deepEqual(pdf.language, ['de', 'en']);
    assert.equal(pdf.location, 'http://example.com/invoice.pdf');
    assert.equal(pdf.md5, null);
    assert.equal(bodyOf(raw, child(msg.root, 0)), 'Please find the invoice attached.');
    assert.equal(child(msg.root, 0).lines, 1);
    assert.equal(bodyOf(raw, pdf), base64Lines(PDF_BYTES).join('\r\n'));
  });

  it('flags the attachment and keeps it out of the search text', () => {
    assert.equal(msg.hasAttachment, true);
    assert.equal(msg.searchText, 'Please find the invoice attached.');
    assert.equal(msg.preview, 'Please find the invoice attached.');
  });
});

describe('parseMessage: forwarded message/rfc822', () => {
  const raw = crlf(forwardedLines());
  const text = raw.toString('latin1');
  const msg = parseMessageSync(raw);
  const fwd = child(msg.root, 1);
  const embedded = child(fwd, 0);

  it('nests the embedded message as the only child, with its envelope', () => {
    checkTree(raw, msg.root);
    assert.equal(`${fwd.type}/${fwd.subtype}`, 'message/rfc822');
    assert.equal(fwd.path, '2');
    assert.equal(fwd.children.length, 1);
    assert.equal(embedded.headerStart, fwd.bodyStart);
    assert.equal(embedded.bodyEnd, fwd.bodyEnd);
    assert.equal(fwd.bodyStart, text.indexOf('From: Erin'));
    assert.equal(fwd.bodyEnd, text.indexOf('\r\n--outer--'));
    assert.equal(embedded.type, 'multipart');
    assert.equal(embedded.path, '2', 'an embedded multipart is addressed by its container number');
    assert.deepEqual(embedded.children.map((c) => c.path), ['2.1', '2.2']);
    assert.equal(bodyOf(raw, child(embedded, 0)), 'Shall we have lunch?');
    assert.equal(fwd.lines, text.slice(fwd.bodyStart, fwd.bodyEnd).split('\r\n').length);
    assert.ok(fwd.envelope);
    assert.equal(fwd.envelope.subject, 'Lunch?');
    assert.equal(fwd.envelope.messageId, '<orig-1@example.com>');
    assert.deepEqual(fwd.envelope.from, [{ name: 'Erin', adl: null, mailbox: 'erin', host: 'example.com' }]);
  });

  it('reads threading headers and base subject', () => {
    assert.deepEqual(msg.inReplyTo, ['orig-0@example.com']);
    assert.deepEqual(msg.references, ['orig-0@example.com', 'orig-1@example.com']);
    assert.equal(msg.baseSubject, 'Lunch?');
  });

  it('indexes the forwarded text and counts the forward as an attachment', () => {
    assert.equal(msg.preview, 'See below.');
    assert.match(msg.searchText, /See below\.\nShall we have lunch\?\nShall we have lunch\?/);
    assert.equal(msg.hasAttachment, true);
  });

  it('numbers a single-part embedded message body as N.1', () => {
    const single = crlf([
      'Content-Type: multipart/mixed; boundary=x',
      '',
      '--x',
      'Content-Type: message/rfc822',
      '',
      'Subject: inner',
      '',
      'inner body',
      '--x--',
    ]);
    const m = parseMessageSync(single);
    checkTree(single, m.root);
    const inner = child(child(m.root, 0), 0);
    assert.equal(inner.path, '1.1');
    assert.equal(bodyOf(single, inner), 'inner body');
    assert.equal(child(m.root, 0).envelope?.subject, 'inner');
  });
});

describe('parseMessage: headers', () => {
  it('decodes ISO-8859-1 and UTF-8 encoded-words, and keeps the raw form in the envelope', () => {
    const raw = crlf([
      'Subject: =?iso-8859-1?q?Caf=E9?= und =?UTF-8?B?w5xiZXJ3ZWc=?=',
      '  =?UTF-8?Q?_gut?=',
      'From: =?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>',
      '',
      'x',
    ]);
    const msg = parseMessageSync(raw);
    assert.equal(msg.subject, 'Café und Überweg gut');
    assert.equal(msg.envelope.subject, '=?iso-8859-1?q?Caf=E9?= und =?UTF-8?B?w5xiZXJ3ZWc=?=  =?UTF-8?Q?_gut?=');
    assert.equal(msg.from, 'André Pirard <PIRARD@vm1.ulg.ac.be>');
    assert.equal(msg.envelope.from[0]?.name, '=?ISO-8859-1?Q?Andr=E9?= Pirard');
  });

  it('represents groups with RFC 9051 start and end markers', () => {
    const raw = crlf([
      'From: a@example.com',
      'To: Friends: ann@example.com, "Bob B." <bob@example.com>;, carl@example.com',
      'Cc: undisclosed-recipients:;',
      '',
      '',
    ]);
    const msg = parseMessageSync(raw);
    assert.deepEqual(msg.envelope.to, [
      { name: null, adl: null, mailbox: 'Friends', host: null },
      { name: null, adl: null, mailbox: 'ann', host: 'example.com' },
      { name: 'Bob B.', adl: null, mailbox: 'bob', host: 'example.com' },
      { name: null, adl: null, mailbox: null, host: null },
      { name: null, adl: null, mailbox: 'carl', host: 'example.com' },
    ]);
    assert.deepEqual(msg.envelope.cc, [
      { name: null, adl: null, mailbox: 'undisclosed-recipients', host: null },
      { name: null, adl: null, mailbox: null, host: null },
    ]);
    assert.equal(msg.to, 'Friends: ann@example.com, Bob B. <bob@example.com>;, carl@example.com');
    assert.equal(msg.sortTo, 'ann');
    assert.equal(msg.displayTo, 'ann@example.com');
  });

  it('decodes encoded-word parameters and defaults digest parts to message/rfc822', () => {
    const raw = crlf([
      'Content-Type: multipart/digest; boundary=d',
      '',
      '--d',
      '',
      'Subject: first',
      '',
      'one',
      '--d',
      `Content-Type: text/plain; name="${encodedWordB('Grüße.txt')}"; charset=utf-8`,
      '',
      'two',
      '--d--',
    ]);
    const msg = parseMessageSync(raw);
    checkTree(raw, msg.root);
    const first = child(msg.root, 0);
    assert.equal(`${first.type}/${first.subtype}`, 'message/rfc822');
    assert.equal(first.envelope?.subject, 'first');
    assert.deepEqual(child(msg.root, 1).params, { name: 'Grüße.txt', charset: 'utf-8' });
  });

  it('falls back sensibly for missing and odd fields', () => {
    const msg = parseMessageSync(crlf(['X-Nothing: here', 'Date: not a date', 'Message-ID: bare-id@x', '', 'body']));
    assert.equal(msg.subject, '');
    assert.equal(msg.envelope.subject, null);
    assert.equal(msg.sentDate, null);
    assert.equal(msg.messageId, 'bare-id@x');
    assert.deepEqual(msg.envelope.from, []);
    assert.equal(msg.from, '');
    assert.equal(msg.sortFrom, '');
    assert.equal(msg.displayFrom, '');
    assert.equal(msg.root.path, '1');
    assert.equal(`${msg.root.type}/${msg.root.subtype}`, 'text/plain');
  });
});

describe('baseSubject (RFC 5256 §2.1)', () => {
  const cases: [string, string][] = [
    ['Re: hello', 'hello'],
    ['RE: [list] Fwd: hello (fwd)', 'hello'],
    ['re:re: Re[2]: hi', 'hi'],
    ['[fwd: Re: hi]', 'hi'],
    ['Fw: x', 'x'],
    ['FWD:   spaced   out  ', 'spaced out'],
    ['[PATCH v2] fix it', 'fix it'],
    ['[only a blob]', '[only a blob]'],
    ['Reading list', 'Reading list'],
    ['Re:', ''],
    ['', ''],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () => assert.equal(baseSubject(input), expected));
  }
});

describe('htmlToText', () => {
  it('keeps visible text, decodes character references, breaks lines at blocks', () => {
    assert.equal(
      htmlToText('<p>a &amp; b &lt;c&gt; &#x41;&eacute;</p><br/><table><tr><td>x</td><td>y</td></tr></table>' +
        '<!-- hidden --><script>var a = "<p>";</script><style>p{}</style>end', 1000),
      'a & b <c> Aé\nx y\nend',
    );
    assert.equal(htmlToText('<div>abcdef</div>', 3), 'abc');
  });
});

describe('parseMessage: broken MIME gives a best-effort tree', () => {
  it('keeps the parts of a multipart whose final boundary is missing', () => {
    const raw = crlf(['Content-Type: multipart/mixed; boundary=b', '', '--b', '', 'one', '--b', '', 'two', 'more']);
    const msg = parseMessageSync(raw);
    checkTree(raw, msg.root);
    assert.deepEqual(msg.root.children.map((c) => bodyOf(raw, c)), ['one', 'two\r\nmore']);
  });

  it('recovers the outer parts when an inner multipart is never closed', () => {
    const raw = crlf([
      'Content-Type: multipart/mixed; boundary=outer',
      '',
      '--outer',
      'Content-Type: multipart/alternative; boundary=inner',
      '',
      '--inner',
      '',
      'inner text',
      '--outer',
      'Content-Type: application/octet-stream',
      '',
      'data',
      '--outer--',
    ]);
    const msg = parseMessageSync(raw);
    checkTree(raw, msg.root);
    assert.deepEqual(msg.root.children.map((c) => `${c.path} ${c.type}`), ['1 multipart', '2 application']);
    assert.equal(bodyOf(raw, child(child(msg.root, 0), 0)), 'inner text');
    assert.equal(bodyOf(raw, child(msg.root, 1)), 'data');
  });

  it('gives a multipart without boundary, or whose boundary never appears, one text part', () => {
    for (const contentType of ['multipart/mixed', 'multipart/mixed; boundary=nowhere']) {
      const raw = crlf([`Content-Type: ${contentType}`, '', 'just text', 'here']);
      const msg = parseMessageSync(raw);
      checkTree(raw, msg.root);
      assert.equal(msg.root.children.length, 1);
      assert.equal(child(msg.root, 0).path, '1');
      assert.equal(bodyOf(raw, child(msg.root, 0)), 'just text\r\nhere');
      assert.equal(child(msg.root, 0).lines, 2);
    }
  });

  it('handles a part made of a header only, and an empty part', () => {
    const raw = crlf(['Content-Type: multipart/mixed; boundary=b', '', '--b', 'Content-Type: text/html', '--b', '--b', '', 'x', '--b--']);
    const msg = parseMessageSync(raw);
    checkTree(raw, msg.root);
    assert.deepEqual(msg.root.children.map((c) => c.subtype), ['html', 'plain', 'plain']);
    assert.equal(bodyOf(raw, child(msg.root, 0)), '');
    assert.equal(bodyOf(raw, child(msg.root, 1)), '');
    assert.equal(bodyOf(raw, child(msg.root, 2)), 'x');
  });

  it('survives bad base64, an unknown charset and a bogus Content-Type', () => {
    const raw = crlf([
      'Content-Type: multipart/mixed; boundary=b',
      '',
      '--b',
      'Content-Type: text/plain; charset=x-klingon',
      'Content-Transfer-Encoding: base64',
      '',
      '!!!not*base64@@@ aGVsbG8=',
      '--b',
      'Content-Type: garbage',
      'Content-Transfer-Encoding: x-unknown',
      '',
      'plain words',
      '--b--',
    ]);
    const msg = parseMessageSync(raw);
    checkTree(raw, msg.root);
    assert.equal(`${child(msg.root, 1).type}/${child(msg.root, 1).subtype}`, 'text/plain');
    assert.equal(child(msg.root, 1).encoding, 'X-UNKNOWN');
    assert.match(msg.searchText, /plain words/);
  });

  it('parses a message with no header at all, or an empty one', () => {
    for (const raw of [Buffer.alloc(0), Buffer.from('just some text\r\nwithout header'), Buffer.from('\r\nbody only')]) {
      const msg = parseMessageSync(raw);
      checkTree(raw, msg.root);
      assert.equal(msg.root.path, '1');
    }
    const bodyOnly = parseMessageSync(Buffer.from('\r\nbody only'));
    assert.equal(bodyOnly.root.bodyStart, 2);
    assert.equal(bodyOnly.searchText, 'body only');
  });

  it('keeps base64-encoded message/rfc822 opaque but well-formed', () => {
    const raw = crlf([
      'Content-Type: message/rfc822',
      'Content-Transfer-Encoding: base64',
      '',
      ...base64Lines('Subject: hidden\r\n\r\nbody'),
    ]);
    const msg = parseMessageSync(raw);
    checkTree(raw, msg.root);
    assert.equal(msg.root.children.length, 1);
    assert.equal(msg.root.envelope?.subject, null);
    assert.equal(child(msg.root, 0).path, '1.1');
  });

  it('accepts a Uint8Array and resolves through the async entry point', async () => {
    const msg = await parseMessage(new Uint8Array(crlf(['Subject: hi', '', 'x'])) as Buffer);
    assert.equal(msg.subject, 'hi');
  });
});

describe('parseMessage: hostile input is bounded', () => {
  it('100,000 address headers', () => {
    const raw = Buffer.from(`${'To: someone@example.com\r\n'.repeat(100_000)}Subject: late\r\n\r\nbody`);
    const { value: msg, ms } = timed(() => parseMessageSync(raw));
    assert.ok(ms < HOSTILE_MS, `took ${ms} ms`);
    checkTree(raw, msg.root);
    assert.equal(msg.envelope.to.length, 1);
    assert.ok(msg.headerText.length <= LIMITS.maxHeaderText);
    assert.equal(msg.searchText, 'body');
  });

  it('one address header with 100,000 addresses', () => {
    const list = Array.from({ length: 100_000 }, (_, i) => `u${i}@example.com`).join(', ');
    const raw = Buffer.from(`From: a@b.c\r\nTo: ${list}\r\nCc: ${list}\r\nBcc: ${list}\r\n\r\nbody`);
    const { value: msg, ms } = timed(() => parseMessageSync(raw));
    assert.ok(ms < HOSTILE_MS, `took ${ms} ms`);
    assert.ok(msg.envelope.to.length > 0 && msg.envelope.to.length <= LIMITS.maxAddressesPerHeader);
    assert.equal(msg.envelope.to[0]?.mailbox, 'u0');
  });

  it('200,000 folded continuation lines (quadratic in mailsplit 5.4.6)', () => {
    const raw = Buffer.from(`Subject: x\r\n${' b\r\n'.repeat(200_000)}\r\nbody`);
    const { value: msg, ms } = timed(() => parseMessageSync(raw));
    assert.ok(ms < HOSTILE_MS, `took ${ms} ms`);
    assert.equal(msg.searchText, 'body');
  });

  it('100 levels of nested multipart', () => {
    const levels = 100;
    let head = '';
    let tail = '';
    for (let i = 0; i < levels; i++) {
      head += `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n`;
      tail = `\r\n--b${i}--${tail}`;
    }
    const raw = Buffer.from(`${head}Content-Type: text/plain\r\n\r\ndeep${tail}`);
    const { value: msg, ms } = timed(() => parseMessageSync(raw));
    assert.ok(ms < HOSTILE_MS, `took ${ms} ms`);
    checkTree(raw, msg.root);
    let depth = 0;
    for (let p: MimePart | undefined = msg.root; p; p = p.children[0]) depth++;
    assert.ok(depth <= LIMITS.maxDepth + 1, `depth ${depth}`);
  });

  it('message/rfc822 nested in itself 20,000 times', () => {
    const raw = Buffer.from(`${'Content-Type: message/rfc822\r\n\r\n'.repeat(20_000)}Subject: bottom\r\n\r\nx`);
    const { value: msg, ms } = timed(() => parseMessageSync(raw));
    assert.ok(ms < HOSTILE_MS, `took ${ms} ms`);
    checkTree(raw, msg.root);
  });

  it('50,000 parts in one multipart', () => {
    const raw = Buffer.from(`Content-Type: multipart/mixed; boundary=b\r\n\r\n${'--b\r\n\r\nx\r\n'.repeat(50_000)}--b--`);
    const { value: msg, ms } = timed(() => parseMessageSync(raw));
    assert.ok(ms < HOSTILE_MS, `took ${ms} ms`);
    const count = checkTree(raw, msg.root);
    assert.ok(count <= LIMITS.maxParts + 1, `${count} parts`);
  });

  it('2,000 parts each with a 16 KiB Content-Type of RFC 2231 continuations', () => {
    const params = Array.from({ length: 800 }, (_, i) => `name*${i}*=utf-8''%41`).join('; ');
    const part = `--b\r\nContent-Type: text/plain; ${params}\r\nContent-Disposition: attachment; ${params}\r\n\r\nx\r\n`;
    const raw = Buffer.from(`Content-Type: multipart/mixed; boundary=b\r\n\r\n${part.repeat(2_000)}--b--`);
    const { value: msg, ms } = timed(() => parseMessageSync(raw));
    assert.ok(ms < HOSTILE_MS, `took ${ms} ms`);
    assert.equal(msg.root.children.length, 2_000);
  });

  it('HTML nested 500,000 levels deep (quadratic in htmlparser2 Parser)', () => {
    const raw = Buffer.from(`Content-Type: text/html\r\n\r\n${'<div><b>'.repeat(250_000)}deep text`);
    const { value: msg, ms } = timed(() => parseMessageSync(raw));
    assert.ok(ms < HOSTILE_MS, `took ${ms} ms`);
    assert.equal(msg.searchText, 'deep text');
  });

  it('a 30 MB base64 attachment is never decoded, a 20 MB text part only up to the bound', () => {
    const big = 'QUFB'.repeat(19).concat('\r\n').repeat(400_000); // ~31 MB of base64
    const raw = Buffer.from(
      [
        'Content-Type: multipart/mixed; boundary=b',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'small text',
        '--b',
        'Content-Type: application/octet-stream',
        'Content-Transfer-Encoding: base64',
        '',
        big,
        '--b',
        'Content-Type: text/plain',
        'Content-Transfer-Encoding: base64',
        '',
        'd29yZHMg'.repeat(9).concat('\r\n').repeat(270_000), // ~20 MB encoding "words words …"
        '--b--',
      ].join('\r\n'),
    );
    const { value: msg, ms } = timed(() => parseMessageSync(raw));
    assert.ok(ms < HOSTILE_MS, `took ${ms} ms`);
    assert.ok(msg.searchText.startsWith('small text\nwords words'));
    assert.ok(msg.searchText.length <= LIMITS.maxSearchText);
    assert.equal(child(msg.root, 1).lines, 400_000);
  });
});
