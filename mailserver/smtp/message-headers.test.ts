import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { hasHeader, headerFields, headerValue, joinMessage, removeHeader, splitMessage } from './message-headers.ts';

const HEADER =
  'From: Jane <jane@example.org>\r\n' +
  'To: bob@example.net\r\n' +
  'DKIM-Signature: v=1; a=rsa-sha256;\r\n' +
  '\tb=abc\r\n' +
  '  def\r\n' +
  'Subject: Hello\r\n';

describe('splitMessage and joinMessage', () => {
  it('splits at the first blank line and joins back to the same bytes', () => {
    const body = Buffer.from('Hi\r\n\r\nsecond paragraph \xe9\r\n', 'latin1');
    const raw = Buffer.concat([Buffer.from(`${HEADER}\r\n`), body]);
    const parts = splitMessage(raw);
    assert.equal(parts.header, HEADER);
    assert.deepEqual(parts.body, body);
    assert.deepEqual(joinMessage(parts), raw);
  });

  it('treats a message without a blank line as headers only, adding the missing line end', () => {
    assert.deepEqual(splitMessage(Buffer.from('Subject: x\r\n')), { header: 'Subject: x\r\n', body: Buffer.alloc(0) });
    assert.deepEqual(splitMessage(Buffer.from('Subject: x')), { header: 'Subject: x\r\n', body: Buffer.alloc(0) });
    assert.deepEqual(splitMessage(Buffer.alloc(0)), { header: '', body: Buffer.alloc(0) });
    assert.equal(joinMessage(splitMessage(Buffer.from('Subject: x'))).toString(), 'Subject: x\r\n\r\n');
  });

  it('property: joinMessage(splitMessage(x)) is x for any message with a CRLFCRLF', () => {
    const chunk = fc.uint8Array({ maxLength: 80 }).map((a) => Buffer.from(a));
    const crlfish = fc.constantFrom('\r\n', '\r', '\n', '\r\n\r\n', ':', ' ').map((s) => Buffer.from(s));
    const part = fc.array(fc.oneof(chunk, crlfish), { maxLength: 10 }).map((parts) => Buffer.concat(parts));
    fc.assert(
      fc.property(part, part, (before, after) => {
        const raw = Buffer.concat([before, Buffer.from('\r\n\r\n'), after]);
        assert.deepEqual(joinMessage(splitMessage(raw)), raw);
      }),
      { numRuns: 500 },
    );
  });
});

describe('header fields', () => {
  it('lists fields in order with their continuation lines, names lower-cased', () => {
    assert.deepEqual(headerFields(HEADER), [
      { name: 'from', text: 'From: Jane <jane@example.org>\r\n' },
      { name: 'to', text: 'To: bob@example.net\r\n' },
      { name: 'dkim-signature', text: 'DKIM-Signature: v=1; a=rsa-sha256;\r\n\tb=abc\r\n  def\r\n' },
      { name: 'subject', text: 'Subject: Hello\r\n' },
    ]);
  });

  it('finds headers case-insensitively and unfolds their value', () => {
    assert.equal(hasHeader(HEADER, 'dkim-SIGNATURE'), true);
    assert.equal(hasHeader(HEADER, 'Message-ID'), false);
    assert.equal(headerValue(HEADER, 'SUBJECT'), 'Hello');
    assert.equal(headerValue(HEADER, 'DKIM-Signature'), 'v=1; a=rsa-sha256; b=abc  def');
    assert.equal(headerValue(HEADER, 'Date'), null);
    assert.equal(headerValue('To: a@x\r\nTo: b@x\r\n', 'to'), 'a@x'); // the first one
  });

  it('removes every instance of a header, continuation lines included', () => {
    assert.equal(removeHeader(HEADER, 'dkim-signature'), 'From: Jane <jane@example.org>\r\nTo: bob@example.net\r\nSubject: Hello\r\n');
    assert.equal(removeHeader('Bcc: a@x\r\nSubject: s\r\nBCC: b@x,\r\n c@x\r\n', 'Bcc'), 'Subject: s\r\n');
    assert.equal(removeHeader(HEADER, 'X-Absent'), HEADER);
  });

  it('handles headers named like Object properties as plain data', () => {
    const header = '__proto__: polluted\r\nconstructor: x\r\nSubject: s\r\n';
    assert.equal(hasHeader(header, '__proto__'), true);
    assert.equal(headerValue(header, '__proto__'), 'polluted');
    assert.equal(headerValue(header, 'Constructor'), 'x');
    assert.equal(removeHeader(header, '__proto__'), 'constructor: x\r\nSubject: s\r\n');
    // Absent such names are absent, not inherited from Object.prototype.
    for (const name of ['constructor', 'toString', 'hasOwnProperty', '__proto__']) {
      assert.equal(hasHeader('Subject: s\r\n', name), false, name);
      assert.equal(headerValue('Subject: s\r\n', name), null, name);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});
