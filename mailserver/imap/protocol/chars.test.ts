import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allIn, ASTRING_CHAR, ATOM_CHAR, isIn, LIST_CHAR, TAG_CHAR } from './chars.ts';

const members = (t: Uint8Array) => Array.from({ length: 128 }, (_, c) => c).filter((c) => isIn(t, c));

describe('IMAP character classes', () => {
  it('excludes the atom-specials from ATOM-CHAR', () => {
    for (const c of '(){ %*"\\]\x00\x1f\x7f') assert.equal(isIn(ATOM_CHAR, c.charCodeAt(0)), false, JSON.stringify(c));
    for (const c of 'aZ09[.+-~!#$&\'<>/:;=?@^_`|}') assert.equal(isIn(ATOM_CHAR, c.charCodeAt(0)), true, c);
    // 95 printable characters (space included) minus the 9 printable atom-specials ( ) { SP % * " \ ].
    assert.equal(members(ATOM_CHAR).length, 86);
    assert.equal(isIn(ATOM_CHAR, 0xe9), false);
  });

  it('derives ASTRING-CHAR, tag and list characters', () => {
    assert.deepEqual(
      members(ASTRING_CHAR).filter((c) => !isIn(ATOM_CHAR, c)),
      [0x5d],
    );
    assert.deepEqual(
      members(ASTRING_CHAR).filter((c) => !isIn(TAG_CHAR, c)),
      [0x2b],
    );
    assert.deepEqual(
      members(LIST_CHAR).filter((c) => !isIn(ATOM_CHAR, c)),
      [0x25, 0x2a, 0x5d],
    );
  });

  it('tests whole strings', () => {
    assert.equal(allIn(ATOM_CHAR, 'INBOX'), true);
    assert.equal(allIn(ATOM_CHAR, ''), false);
    assert.equal(allIn(ATOM_CHAR, 'a b'), false);
    assert.equal(allIn(LIST_CHAR, 'INBOX/*'), true);
  });
});
