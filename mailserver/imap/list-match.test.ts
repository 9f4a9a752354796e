import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compilePattern, hasChildren, withImpliedParents } from './list-match.ts';

describe('LIST patterns', () => {
  const match = (ref: string, pattern: string, name: string) => compilePattern(ref, pattern).test(name);

  it('treats * as anything and % as one level', () => {
    assert.ok(match('', '*', 'a/b/c'));
    assert.ok(match('', '%', 'a'));
    assert.ok(!match('', '%', 'a/b'));
    assert.ok(match('', 'a/%', 'a/b'));
    assert.ok(!match('', 'a/%', 'a/b/c'));
  });

  it('joins the reference, matches INBOX in any case and takes regex characters literally', () => {
    assert.ok(match('a', '%', 'a/b'));
    assert.ok(match('a/', '*', 'a/b/c'));
    assert.ok(match('', 'inbox', 'INBOX'));
    assert.ok(match('', 'Inbox/%', 'INBOX/x'));
    assert.ok(!match('', 'a.b', 'axb'));
    assert.ok(match('', 'a+(b)', 'a+(b)'));
  });

  it('adds missing parents and knows children', () => {
    const all = withImpliedParents(['a/b/c', 'x']);
    assert.deepEqual([...all.entries()].sort(), [['a', false], ['a/b', false], ['a/b/c', true], ['x', true]]);
    assert.ok(hasChildren('a', all.keys()));
    assert.ok(!hasChildren('x', all.keys()));
  });
});
