/**
 * Messages and checks shared by the mime tests. Fixtures are built here rather than read from files so each test
 * shows the bytes it depends on. All fixtures are ASCII on the wire, so string indexes equal byte offsets.
 */
import assert from 'node:assert/strict';
import type { MimePart } from './types.ts';

export function crlf(lines: string[]): Buffer {
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

export function lf(lines: string[]): Buffer {
  return Buffer.from(lines.join('\n'), 'latin1');
}

/** base64 of UTF-8 text, wrapped at 76 characters like real mailers do. */
export function base64Lines(data: string | Buffer): string[] {
  const b64 = (typeof data === 'string' ? Buffer.from(data, 'utf8') : data).toString('base64');
  return b64.match(/.{1,76}/g) ?? [];
}

export function encodedWordB(text: string): string {
  return `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

export const HTML_SOURCE =
  '<html><head><title>Ignored title</title><style>p { color: red }</style></head>' +
  '<body><p>Gr&uuml;&szlig;e aus <b>M&uuml;nchen</b>!</p><div>Zweiter&nbsp;Absatz</div>' +
  '<script>alert("no")</script></body></html>';

/** multipart/alternative: quoted-printable ISO-8859-1 text and base64 UTF-8 HTML. */
export function alternativeLines(): string[] {
  return [
    'From: "Jane Doe" <jane@example.com>',
    'To: John Smith <john@example.org>, bob@example.net',
    `Cc: ${encodedWordB('Ümläut Person')} <umlaut@example.de>`,
    'Subject: =?ISO-8859-1?Q?Gr=FC=DFe_aus_M=FCnchen?=',
    'Date: Tue, 02 Jan 2024 10:30:00 +0100',
    'Message-ID: <alt-1@example.com>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/alternative; boundary="b1_alt"',
    '',
    'This is a multi-part message in MIME format.',
    '--b1_alt',
    'Content-Type: text/plain; charset=ISO-8859-1',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'Gr=FC=DFe aus M=FCnchen!',
    'Zweite Zeile mit einem sehr langen Satz, der umbrochen wird =',
    'und weitergeht.',
    '--b1_alt',
    'Content-Type: text/html; charset=UTF-8',
    'Content-Transfer-Encoding: base64',
    '',
    ...base64Lines(HTML_SOURCE),
    '--b1_alt--',
    '',
  ];
}

export const PDF_BYTES = Buffer.from('%PDF-1.4\n%\xc7\xec\x8f\xa2\n1 0 obj <<>> endobj\ntrailer\n%%EOF\n', 'latin1');

/** multipart/mixed: a text part and a PDF whose name uses RFC 2231 continuations and charset encoding. */
export function mixedLines(): string[] {
  return [
    'From: Alice <alice@example.com>',
    'To: Bob <bob@example.com>',
    'Subject: Invoice',
    'Date: Wed, 03 Jan 2024 08:00:00 +0000',
    'Message-ID: <mixed-1@example.com>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="==MIX=="',
    '',
    '--==MIX==',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 7bit',
    '',
    'Please find the invoice attached.',
    '--==MIX==',
    'Content-Type: application/pdf; name="invoice.pdf"',
    'Content-Disposition: attachment;',
    " filename*0*=UTF-8''Rechnung%20f%C3%BCr%20M;",
    ' filename*1*=%C3%A4rz.pdf',
    'Content-Transfer-Encoding: base64',
    'Content-ID: <pdf1@example.com>',
    'Content-Description: The invoice',
    'Content-Language: de, en (English too)',
    'Content-Location: http://example.com/',
    ' invoice.pdf',
    '',
    ...base64Lines(PDF_BYTES),
    '--==MIX==--',
    '',
  ];
}

/** A forwarded message: text plus a message/rfc822 part holding a multipart/alternative message. */
export function forwardedLines(): string[] {
  return [
    'From: Carol <carol@example.com>',
    'To: Dave <dave@example.com>',
    'Subject: Fwd: Lunch?',
    'Date: Thu, 04 Jan 2024 12:00:00 +0000',
    'Message-ID: <fwd-1@example.com>',
    'In-Reply-To: <orig-0@example.com>',
    'References: <orig-0@example.com>',
    '  <orig-1@example.com>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary=outer',
    '',
    '--outer',
    'Content-Type: text/plain',
    '',
    'See below.',
    '--outer',
    'Content-Type: message/rfc822',
    'Content-Disposition: attachment; filename="lunch.eml"',
    '',
    'From: Erin <erin@example.com>',
    'To: Carol <carol@example.com>',
    'Subject: Lunch?',
    'Date: Wed, 03 Jan 2024 11:00:00 +0000',
    'Message-ID: <orig-1@example.com>',
    'Content-Type: multipart/alternative; boundary=inner',
    '',
    '--inner',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'Shall we have lunch?',
    '--inner',
    'Content-Type: text/html; charset=us-ascii',
    '',
    '<p>Shall we have <i>lunch</i>?</p>',
    '--inner--',
    '--outer--',
    '',
  ];
}

/**
 * Structural invariants every parsed tree must satisfy, whatever the input: offsets inside the message and
 * ordered, children inside their parent's body and in order, multipart and message parts never empty.
 */
export function checkTree(raw: Buffer, root: MimePart): number {
  let count = 0;
  const visit = (part: MimePart, depth: number): void => {
    count++;
    assert.ok(depth < 200, 'depth is bounded');
    assert.ok(part.headerStart >= 0, 'headerStart >= 0');
    assert.ok(part.headerStart <= part.bodyStart, `headerStart <= bodyStart at ${part.path}`);
    assert.ok(part.bodyStart <= part.bodyEnd, `bodyStart <= bodyEnd at ${part.path}`);
    assert.ok(part.bodyEnd <= raw.length, `bodyEnd <= size at ${part.path}`);
    assert.equal(part.lines, linesIn(raw, part.bodyStart, part.bodyEnd), `line count at ${part.path}`);
    if (part.type === 'multipart' || (part.type === 'message' && (part.subtype === 'rfc822' || part.subtype === 'global'))) {
      assert.ok(part.children.length > 0, `${part.type}/${part.subtype} at ${part.path} has children`);
    }
    let previousEnd = part.bodyStart;
    for (const child of part.children) {
      assert.ok(child.headerStart >= previousEnd, `children in order at ${child.path}`);
      assert.ok(child.bodyEnd <= part.bodyEnd, `child inside parent at ${child.path}`);
      previousEnd = child.bodyEnd;
      visit(child, depth + 1);
    }
  };
  assert.equal(root.headerStart, 0);
  assert.equal(root.bodyEnd, raw.length);
  visit(root, 0);
  return count;
}

/** Lines starting inside [start, end): the reference definition the scanner's line counting must match. */
export function linesIn(raw: Buffer, start: number, end: number): number {
  if (end <= start) return 0;
  let lines = raw[end - 1] === 0x0a ? 0 : 1;
  for (let i = raw.indexOf(0x0a, start); i !== -1 && i < end; i = raw.indexOf(0x0a, i + 1)) lines++;
  return lines;
}

/** Body bytes of a part as a latin1 string, for comparing against fixture text. */
export function bodyOf(raw: Buffer, part: MimePart | undefined): string {
  assert.ok(part, 'part exists');
  return raw.toString('latin1', part.bodyStart, part.bodyEnd);
}

export function headerOf(raw: Buffer, part: MimePart | undefined): string {
  assert.ok(part, 'part exists');
  return raw.toString('latin1', part.headerStart, part.bodyStart);
}
