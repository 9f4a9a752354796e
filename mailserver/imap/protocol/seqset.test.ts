import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  expandSet,
  formatSequenceSet,
  iterateSet,
  maxExplicit,
  parseSequenceSet,
  resolveSet,
  selectSorted,
  setHas,
  setSize,
  usesStar,
} from './seqset.ts';
import type { SeqRange } from './types.ts';

function ranges(text: string): SeqRange[] {
  const set = parseSequenceSet(text);
  assert.ok(set !== null && set !== '$', text);
  return set;
}

describe('sequence sets', () => {
  it('parses the RFC 9051 forms', () => {
    assert.deepEqual(parseSequenceSet('1'), [{ from: 1, to: 1 }]);
    assert.deepEqual(parseSequenceSet('1:*'), [{ from: 1, to: '*' }]);
    assert.deepEqual(parseSequenceSet('2,4:7,9,12:*'), [
      { from: 2, to: 2 },
      { from: 4, to: 7 },
      { from: 9, to: 9 },
      { from: 12, to: '*' },
    ]);
    assert.deepEqual(parseSequenceSet('*:4'), [{ from: '*', to: 4 }]);
    assert.deepEqual(parseSequenceSet('*'), [{ from: '*', to: '*' }]);
    assert.equal(parseSequenceSet('$'), '$');
    assert.deepEqual(parseSequenceSet('4294967295'), [{ from: 4294967295, to: 4294967295 }]);
  });

  it('rejects what the grammar does not allow', () => {
    for (const bad of ['', '0', '01', '1:', ':1', '1,,2', '1,', 'a', '1:2:3', '4294967296', '$,1', '1,$', '1 2', '-1']) {
      assert.equal(parseSequenceSet(bad), null, bad);
    }
  });

  it('formats sets back as written', () => {
    assert.equal(formatSequenceSet(ranges('2,4:7,9,12:*')), '2,4:7,9,12:*');
    assert.equal(formatSequenceSet('$'), '$');
  });

  it('resolves "*", reversed ranges and overlaps into merged intervals', () => {
    assert.deepEqual(resolveSet(ranges('1:*'), 100000), [[1, 100000]]);
    assert.deepEqual(resolveSet(ranges('7:3,5:9,20,21,*'), 50), [
      [3, 9],
      [20, 21],
      [50, 50],
    ]);
    assert.deepEqual(resolveSet(ranges('*:4'), 10), [[4, 10]]);
    assert.deepEqual(resolveSet(ranges('1:*'), 0), []);
  });

  it('keeps the highest number for "N:*" when N exceeds it (RFC 9051 §6.4.8 UID range rule)', () => {
    assert.deepEqual(resolveSet(ranges('559:*'), 300), [[300, 300]]);
  });

  it('clamps numbers beyond the maximum', () => {
    assert.deepEqual(resolveSet(ranges('5:4294967295'), 10), [[5, 10]]);
    assert.deepEqual(resolveSet(ranges('11:20'), 10), []);
  });

  it('tests membership, size and iteration without expanding', () => {
    const set = resolveSet(ranges('1:*'), 100000);
    assert.equal(set.length, 1);
    assert.equal(setHas(set, 1), true);
    assert.equal(setHas(set, 100000), true);
    assert.equal(setHas(set, 100001), false);
    assert.equal(setHas(set, 0), false);
    assert.equal(setSize(set), 100000);
    const sparse = resolveSet(ranges('2,4:6,10'), 20);
    assert.deepEqual([...iterateSet(sparse)], [2, 4, 5, 6, 10]);
    assert.deepEqual(expandSet(ranges('3,1,2'), 5), [1, 2, 3]);
    assert.equal(setHas(sparse, 3), false);
    assert.equal(setHas(sparse, 7), false);
  });

  it('selects indexes from a sorted UID list', () => {
    const uids = [3, 7, 8, 15, 40, 41, 42, 100];
    assert.deepEqual(selectSorted(resolveSet(ranges('1:8,40:*'), 100), uids), [0, 1, 2, 4, 5, 6, 7]);
    assert.deepEqual(selectSorted(resolveSet(ranges('9:14'), 100), uids), []);
    assert.deepEqual(selectSorted(resolveSet(ranges('*'), 100), uids), [7]);
  });

  it('reports explicit maxima and "*" use', () => {
    assert.equal(maxExplicit(ranges('1:5,9,3:*')), 9);
    assert.equal(maxExplicit(ranges('*')), 0);
    assert.equal(usesStar(ranges('1:*')), true);
    assert.equal(usesStar(ranges('1:5')), false);
  });

  it('agrees with a naive expansion on random sets', () => {
    const seqNumber = fc.oneof(fc.integer({ min: 1, max: 60 }), fc.constant('*' as const));
    const range = fc.tuple(seqNumber, seqNumber).map(([from, to]) => ({ from, to }));
    fc.assert(
      fc.property(fc.array(range, { minLength: 1, maxLength: 8 }), fc.integer({ min: 0, max: 50 }), (set, max) => {
        const naive = new Set<number>();
        for (const r of set) {
          const a = r.from === '*' ? max : r.from;
          const b = r.to === '*' ? max : r.to;
          for (let n = Math.min(a, b); n <= Math.max(a, b); n++) if (n >= 1 && n <= max) naive.add(n);
        }
        const resolved = resolveSet(set, max);
        assert.deepEqual([...iterateSet(resolved)], [...naive].sort((x, y) => x - y));
        for (let n = 0; n <= max + 1; n++) assert.equal(setHas(resolved, n), naive.has(n));
        assert.equal(setSize(resolved), naive.size);
        const text = formatSequenceSet(set);
        assert.deepEqual(parseSequenceSet(text), set);
      }),
      { numRuns: 1000 },
    );
  });
});
