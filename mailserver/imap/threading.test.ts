import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SortKeys } from '../store/types.ts';
import { formatThreads, sortMessages, threadOrderedSubject, threadReferences } from './threading.ts';

function msg(uid: number, over: Partial<SortKeys> = {}): SortKeys {
  return {
    uid,
    internalDate: 1000 * uid,
    sentDate: 1000 * uid,
    size: 100,
    baseSubject: 'subject',
    sortFrom: '',
    sortTo: '',
    sortCc: '',
    displayFrom: '',
    displayTo: '',
    messageId: `m${uid}@x`,
    references: [],
    ...over,
  };
}

const id = (uid: number) => uid;

describe('SORT', () => {
  it('orders by criteria with REVERSE and breaks ties by UID', () => {
    const messages = [msg(1, { size: 30 }), msg(2, { size: 10 }), msg(3, { size: 30 }), msg(4, { size: 20 })];
    assert.deepEqual(sortMessages(messages, [{ key: 'SIZE', reverse: false }]), [2, 4, 1, 3]);
    assert.deepEqual(sortMessages(messages, [{ key: 'SIZE', reverse: true }]), [1, 3, 4, 2]);
    assert.deepEqual(sortMessages(messages, [{ key: 'SIZE', reverse: true }, { key: 'ARRIVAL', reverse: true }]), [3, 1, 4, 2]);
  });

  it('compares subjects and addresses case-insensitively and falls back to arrival when Date is missing', () => {
    const messages = [msg(1, { baseSubject: 'beta', sentDate: null, internalDate: 5 }), msg(2, { baseSubject: 'Alpha', sentDate: 10 }), msg(3, { baseSubject: 'alpha', sentDate: 1 })];
    assert.deepEqual(sortMessages(messages, [{ key: 'SUBJECT', reverse: false }]), [2, 3, 1]);
    assert.deepEqual(sortMessages(messages, [{ key: 'DATE', reverse: false }]), [3, 1, 2]);
  });
});

describe('THREAD', () => {
  it('ORDEREDSUBJECT groups by base subject, earliest message first', () => {
    const messages = [msg(1, { baseSubject: 'a' }), msg(2, { baseSubject: 'b' }), msg(3, { baseSubject: 'A' }), msg(4, { baseSubject: 'a' })];
    assert.equal(formatThreads(threadOrderedSubject(messages), id), '(1 (3)(4))(2)');
  });

  it('REFERENCES builds reply trees, including missing parents, and orders threads by date', () => {
    const messages = [
      msg(1, { messageId: 'root@x', baseSubject: 'plan' }),
      msg(2, { messageId: 'r1@x', references: ['root@x'], baseSubject: 'plan' }),
      msg(3, { messageId: 'r2@x', references: ['root@x'], baseSubject: 'plan' }),
      msg(4, { messageId: 'r11@x', references: ['root@x', 'r1@x'], baseSubject: 'plan' }),
      msg(5, { messageId: 'lonely@x', baseSubject: 'other' }),
      // Two replies to a message we never received: they share a dummy parent.
      msg(6, { messageId: 'o1@x', references: ['gone@x'], baseSubject: 'ghost' }),
      msg(7, { messageId: 'o2@x', references: ['gone@x'], baseSubject: 'ghost' }),
    ];
    assert.equal(formatThreads(threadReferences(messages), id), '(1 (2 4)(3))(5)((6)(7))');
  });

  it('survives reference loops and duplicate Message-IDs', () => {
    const messages = [
      msg(1, { messageId: 'a@x', references: ['b@x'] }),
      msg(2, { messageId: 'b@x', references: ['a@x'] }),
      msg(3, { messageId: 'a@x' }),
    ];
    const text = formatThreads(threadReferences(messages), id);
    for (const n of ['1', '2', '3']) assert.ok(text.includes(n), text);
  });
});
