import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMessageSync } from './parse.ts';
import { decodePart, extractSection, partByPath } from './section.ts';
import { alternativeLines, crlf, forwardedLines, HTML_SOURCE, lf, mixedLines, PDF_BYTES } from './test-fixtures.ts';
import type { MimePart, SectionSpec } from './types.ts';

function section(raw: Buffer, root: MimePart, part: number[], kind: SectionSpec['kind'], fields?: string[]): string | null {
  const spec: SectionSpec = fields ? { part, kind, fields } : { part, kind };
  const out = extractSection(raw, root, spec);
  return out === null ? null : out.toString('latin1');
}

describe('extractSection on a multipart message', () => {
  const lines = forwardedLines();
  const raw = crlf(lines);
  const { root } = parseMessageSync(raw);
  const text = raw.toString('latin1');
  const headerEnd = text.indexOf('\r\n\r\n') + 4;

  it('[] is the whole message; HEADER and TEXT split it at the blank line', () => {
    assert.equal(section(raw, root, [], 'ALL'), text);
    assert.equal(section(raw, root, [], 'HEADER'), text.slice(0, headerEnd));
    assert.equal(section(raw, root, [], 'TEXT'), text.slice(headerEnd));
    assert.equal(section(raw, root, [], 'MIME'), null);
  });

  it('HEADER.FIELDS returns matching lines with continuations, in message order, then a blank line', () => {
    assert.equal(
      section(raw, root, [], 'HEADER.FIELDS', ['REFERENCES', 'from']),
      'From: Carol <carol@example.com>\r\nReferences: <orig-0@example.com>\r\n  <orig-1@example.com>\r\n\r\n',
    );
    assert.equal(section(raw, root, [], 'HEADER.FIELDS', ['X-Absent']), '\r\n');
    const not = section(raw, root, [], 'HEADER.FIELDS.NOT', ['Date', 'Message-ID', 'References', 'In-Reply-To', 'MIME-Version']);
    assert.equal(
      not,
      'From: Carol <carol@example.com>\r\nTo: Dave <dave@example.com>\r\nSubject: Fwd: Lunch?\r\n' +
        'Content-Type: multipart/mixed; boundary=outer\r\n\r\n',
    );
  });

  it('N is a part body, N.MIME its header', () => {
    assert.equal(section(raw, root, [1], 'ALL'), 'See below.');
    assert.equal(section(raw, root, [1], 'MIME'), 'Content-Type: text/plain\r\n\r\n');
    assert.equal(section(raw, root, [3], 'ALL'), null);
    assert.equal(section(raw, root, [0], 'ALL'), null);
    assert.equal(section(raw, root, [1, 1], 'ALL'), null, 'a text part has no subparts');
    assert.equal(section(raw, root, [1], 'HEADER'), null, 'HEADER needs a message/rfc822 part');
  });

  it('a message/rfc822 part: whole embedded message, its HEADER/TEXT, and its own parts', () => {
    const start = text.indexOf('From: Erin');
    const end = text.indexOf('\r\n--outer--');
    const innerHeaderEnd = text.indexOf('\r\n\r\n', start) + 4;
    assert.equal(section(raw, root, [2], 'ALL'), text.slice(start, end));
    assert.equal(section(raw, root, [2], 'MIME'), 'Content-Type: message/rfc822\r\nContent-Disposition: attachment; filename="lunch.eml"\r\n\r\n');
    assert.equal(section(raw, root, [2], 'HEADER'), text.slice(start, innerHeaderEnd));
    assert.equal(section(raw, root, [2], 'TEXT'), text.slice(innerHeaderEnd, end));
    assert.equal(section(raw, root, [2], 'HEADER.FIELDS', ['subject']), 'Subject: Lunch?\r\n\r\n');
    assert.equal(section(raw, root, [2, 1], 'ALL'), 'Shall we have lunch?');
    assert.equal(section(raw, root, [2, 2], 'MIME'), 'Content-Type: text/html; charset=us-ascii\r\n\r\n');
    assert.equal(section(raw, root, [2, 3], 'ALL'), null);
  });

  it('a multipart part body runs from its first delimiter to its close delimiter', () => {
    const alt = crlf(['Content-Type: multipart/mixed; boundary=o', '', '--o', ...alternativeLines().slice(7, -1), '--o--']);
    const { root: r } = parseMessageSync(alt);
    const body = section(alt, r, [1], 'ALL') ?? '';
    assert.ok(body.startsWith('This is a multi-part message in MIME format.\r\n--b1_alt\r\n'));
    assert.ok(body.endsWith('--b1_alt--'));
    assert.equal(section(alt, r, [1, 2], 'MIME'), 'Content-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n');
  });
});

describe('extractSection on a single-part message', () => {
  const raw = crlf(['Subject: one part', 'Content-Type: text/plain', '', 'line 1', 'line 2', '']);
  const { root } = parseMessageSync(raw);

  it('part 1 is the body, 1.MIME the message header, nothing else exists', () => {
    assert.equal(section(raw, root, [1], 'ALL'), 'line 1\r\nline 2\r\n');
    assert.equal(section(raw, root, [], 'TEXT'), 'line 1\r\nline 2\r\n');
    assert.equal(section(raw, root, [1], 'MIME'), 'Subject: one part\r\nContent-Type: text/plain\r\n\r\n');
    assert.equal(section(raw, root, [2], 'ALL'), null);
    assert.equal(section(raw, root, [1, 1], 'ALL'), null);
    assert.equal(section(raw, root, [1], 'HEADER'), null);
  });

  it('a top-level message/rfc822 is entered through part 1', () => {
    const wrapped = crlf(['Content-Type: message/rfc822', '', 'Subject: inner', '', 'inner body']);
    const { root: r } = parseMessageSync(wrapped);
    assert.equal(section(wrapped, r, [1], 'HEADER'), 'Subject: inner\r\n\r\n');
    assert.equal(section(wrapped, r, [1], 'TEXT'), 'inner body');
    assert.equal(section(wrapped, r, [1, 1], 'ALL'), 'inner body');
  });

  it('HEADER.FIELDS closes a header that ends without a line break', () => {
    const headerOnly = Buffer.from('Subject: cut');
    const { root: r } = parseMessageSync(headerOnly);
    assert.equal(section(headerOnly, r, [], 'HEADER.FIELDS', ['subject']), 'Subject: cut\r\n\r\n');
    assert.equal(section(headerOnly, r, [], 'TEXT'), '');
  });

  it('works on bare-LF messages', () => {
    const rawLf = lf(forwardedLines());
    const { root: r } = parseMessageSync(rawLf);
    assert.equal(section(rawLf, r, [2, 1], 'ALL'), 'Shall we have lunch?');
    assert.equal(section(rawLf, r, [], 'HEADER.FIELDS', ['subject']), 'Subject: Fwd: Lunch?\n\r\n');
  });
});

describe('partByPath', () => {
  const raw = crlf(forwardedLines());
  const { root } = parseMessageSync(raw);

  it('resolves every part by its own path', () => {
    const visit = (part: MimePart): void => {
      if (part !== root) {
        const found = partByPath(root, part.path.split('.').map(Number));
        // An embedded multipart shares its number with its message/rfc822 container.
        assert.ok(found === part || found?.children[0] === part, `path ${part.path}`);
      }
      part.children.forEach(visit);
    };
    visit(root);
    assert.equal(partByPath(root, []), root);
    assert.equal(partByPath(root, [2, 1, 1]), null);
    assert.equal(partByPath(root, [1.5]), null);
  });
});

describe('decodePart', () => {
  it('decodes base64 and quoted-printable, passes 7bit through, rejects unknown encodings', () => {
    const mixedRaw = crlf(mixedLines());
    const mixed = parseMessageSync(mixedRaw).root;
    assert.deepEqual(decodePart(mixedRaw, mixed.children[1] as MimePart), PDF_BYTES);
    assert.equal(decodePart(mixedRaw, mixed.children[0] as MimePart)?.toString(), 'Please find the invoice attached.');

    const altRaw = crlf(alternativeLines());
    const alt = parseMessageSync(altRaw).root;
    assert.equal(
      decodePart(altRaw, alt.children[0] as MimePart)?.toString('latin1'),
      'Grüße aus München!\r\nZweite Zeile mit einem sehr langen Satz, der umbrochen wird und weitergeht.',
    );
    assert.equal(decodePart(altRaw, alt.children[1] as MimePart)?.toString('utf8'), HTML_SOURCE);

    const uu = crlf(['Content-Transfer-Encoding: x-uuencode', '', 'begin 644 f']);
    assert.equal(decodePart(uu, parseMessageSync(uu).root), null);
  });
});
