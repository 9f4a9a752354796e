import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeMutf7, encodeMutf7 } from './mutf7.ts';

function decoded(s: string): string {
  const r = decodeMutf7(s);
  assert.ok(r.ok, `expected ${JSON.stringify(s)} to decode, got ${r.ok ? '' : r.error}`);
  return r.value;
}

function rejected(s: string): string {
  const r = decodeMutf7(s);
  assert.equal(r.ok, false, `expected ${JSON.stringify(s)} to be rejected`);
  return r.ok ? '' : r.error;
}

describe('modified UTF-7', () => {
  it('encodes and decodes the RFC 3501 §5.1.3 example', () => {
    const name = '~peter/mail/\u53f0\u5317/\u65e5\u672c\u8a9e';
    assert.equal(encodeMutf7(name), '~peter/mail/&U,BTFw-/&ZeVnLIqe-');
    assert.equal(decoded('~peter/mail/&U,BTFw-/&ZeVnLIqe-'), name);
  });

  it('writes "&" as "&-" and leaves printable ASCII alone', () => {
    assert.equal(encodeMutf7('Tom & Jerry'), 'Tom &- Jerry');
    assert.equal(decoded('Tom &- Jerry'), 'Tom & Jerry');
    assert.equal(encodeMutf7('INBOX/Sent Items'), 'INBOX/Sent Items');
  });

  it('handles common European names and astral characters', () => {
    assert.equal(encodeMutf7('Entw\u00fcrfe'), 'Entw&APw-rfe');
    assert.equal(decoded('Entw&APw-rfe'), 'Entw\u00fcrfe');
    assert.equal(encodeMutf7('\u00e9'), '&AOk-');
    const emoji = 'Mail \u{1F4EC}';
    assert.equal(decoded(encodeMutf7(emoji)), emoji);
    assert.equal(encodeMutf7(emoji), 'Mail &2D3c7A-');
  });

  it('encodes control characters and DEL, which cannot stand for themselves', () => {
    assert.equal(encodeMutf7('a\tb'), 'a&AAk-b');
    assert.equal(decoded('a&AAk-b'), 'a\tb');
    assert.equal(encodeMutf7('\x7f'), '&AH8-');
  });

  it('rejects malformed and non-canonical input', () => {
    assert.match(rejected('&'), /Unterminated/);
    assert.match(rejected('abc&U,BTFw'), /Unterminated/);
    assert.match(rejected('&AGE-'), /Printable US-ASCII/); // "a" encoded
    assert.match(rejected('&ACY-'), /Printable US-ASCII/); // "&" encoded instead of "&-"
    assert.match(rejected('&U,BTFw-&ZeVnLIqe-'), /Adjacent/);
    assert.match(rejected('&AOl-'), /padding/);
    assert.match(rejected('&AOkA-'), /superfluous/);
    assert.match(rejected('&A-'), /superfluous/);
    assert.match(rejected('&2AA-'), /surrogate/); // lone high surrogate
    assert.match(rejected('&3AA-'), /surrogate/); // lone low surrogate
    assert.match(rejected('&AO/-'), /Invalid character/); // "/" is standard base64, not modified
    assert.match(rejected('&AOk=-'), /Invalid character/);
    assert.match(rejected('Entw\u00fcrfe'), /printable US-ASCII/);
    assert.match(rejected('a\tb'), /printable US-ASCII/);
  });

  it('accepts an encoded run followed by an ampersand', () => {
    assert.equal(decoded('&AOk-&-'), '\u00e9&');
    assert.equal(decoded('&-&AOk-'), '&\u00e9');
  });

  it('replaces lone surrogates when encoding so the output always decodes', () => {
    assert.equal(decoded(encodeMutf7('x\ud800y')), 'x\ufffdy');
    assert.equal(decoded(encodeMutf7('\udc00')), '\ufffd');
  });

  it('round-trips every Unicode string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        const enc = encodeMutf7(s);
        assert.match(enc, /^[\x20-\x7e]*$/);
        assert.equal(decoded(enc), s);
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts only the canonical encoding: whatever decodes re-encodes to the same text', () => {
    const alphabet = fc.constantFrom(...'&-AOkU,BTFw2D3c7+a/ .'.split(''));
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 24 }), (s) => {
        const r = decodeMutf7(s);
        if (r.ok) assert.equal(encodeMutf7(r.value), s);
      }),
      { numRuns: 5000 },
    );
  });
});
