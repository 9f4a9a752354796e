import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { normalizeLineEndings } from './line-endings.ts';

const normalized = (text: string): string => normalizeLineEndings(Buffer.from(text, 'latin1')).toString('latin1');

/** Every CR is followed by LF and every LF preceded by CR. */
function onlyCrlf(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0d && bytes[i + 1] !== 0x0a) return false;
    if (bytes[i] === 0x0a && (i === 0 || bytes[i - 1] !== 0x0d)) return false;
  }
  return true;
}

describe('normalizeLineEndings', () => {
  it('turns bare LF into CRLF, including at the very start', () => {
    assert.equal(normalized('a\nb\n'), 'a\r\nb\r\n');
    assert.equal(normalized('\nx'), '\r\nx');
  });

  it('turns bare CR into CRLF, including at the very end', () => {
    assert.equal(normalized('a\rb'), 'a\r\nb');
    assert.equal(normalized('a\r\nb\r'), 'a\r\nb\r\n');
    assert.equal(normalized('\r\r\n'), '\r\n\r\n');
    assert.equal(normalized('\n\r'), '\r\n\r\n'); // LF then CR are two line ends, not one
  });

  it('smuggling attempt: "\\n.\\r\\n" becomes a dot line the next server reads as we do', () => {
    assert.equal(normalized('Hi\n.\r\nMAIL FROM:<x@y>\r\n'), 'Hi\r\n.\r\nMAIL FROM:<x@y>\r\n');
  });

  it('returns already-clean input as the same Buffer', () => {
    for (const text of ['', 'no line ends', 'a\r\nb\r\n', '\r\n\r\n']) {
      const raw = Buffer.from(text, 'latin1');
      assert.equal(normalizeLineEndings(raw), raw, JSON.stringify(text));
    }
  });

  it('keeps every other byte as it was, 8-bit included', () => {
    const raw = Buffer.from([0xff, 0x00, 0x0a, 0x80, 0xc3, 0xa9]);
    assert.deepEqual(normalizeLineEndings(raw), Buffer.from([0xff, 0x00, 0x0d, 0x0a, 0x80, 0xc3, 0xa9]));
  });

  it('property: output has only CRLF line ends, is idempotent, and loses no other byte', () => {
    const byte = fc.oneof(fc.constantFrom(0x0d, 0x0a), fc.integer({ min: 0, max: 255 }));
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 200 }), (bytes) => {
        const out = normalizeLineEndings(Buffer.from(bytes));
        assert.ok(onlyCrlf(out));
        assert.deepEqual(normalizeLineEndings(out), out);
        const strip = (b: Buffer | number[]) => [...b].filter((x) => x !== 0x0d && x !== 0x0a);
        assert.deepEqual(strip(out), strip(bytes));
      }),
      { numRuns: 500 },
    );
  });
});
