import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { QueueDb } from './queue-db.ts';
import type { NewQueuedMessage } from './types.ts';

const T0 = 1_700_000_000_000;
const NONE = new Set<string>();

const message = (overrides: Partial<NewQueuedMessage> = {}): NewQueuedMessage => ({
  sender: 'alice@example.com',
  recipients: ['bob@Example.ORG', 'carol@example.net'],
  raw: Buffer.from('Subject: hi\r\n\r\nbody \xff\r\n', 'latin1'),
  origin: 'submission',
  ...overrides,
});

describe('QueueDb', () => {
  let dir: string;
  let queue: QueueDb;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mailwerk-queue-'));
    queue = new QueueDb(dir);
  });
  afterEach(() => {
    queue.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('enqueues a message with its bytes and one queued recipient per address', async () => {
    const input = message({ envelopeId: 'ENV1', returnFull: true, recipients: ['bob@Example.ORG', 'carol@example.net', 'bob@Example.ORG'] });
    const id = await queue.enqueue(input, T0);
    assert.deepEqual(queue.raw(id), input.raw);
    assert.deepEqual(queue.get(id), {
      id,
      sender: 'alice@example.com',
      origin: 'submission',
      createdAt: T0,
      size: input.raw.length,
      envelopeId: 'ENV1',
      returnFull: true,
      recipients: [
        { messageId: id, address: 'bob@Example.ORG', domain: 'example.org', state: 'queued', attempts: 0, nextAttemptAt: T0, lastError: null, warned: false, notify: null, orcpt: null },
        { messageId: id, address: 'carol@example.net', domain: 'example.net', state: 'queued', attempts: 0, nextAttemptAt: T0, lastError: null, warned: false, notify: null, orcpt: null },
      ],
    });
    assert.equal(queue.get('NOPE'), null);
    assert.equal(queue.raw('NOPE'), null);
  });

  it('lists messages in order of arrival, with distinct ids', async () => {
    const a = await queue.enqueue(message({ sender: 'a@x.test' }), T0 + 2);
    const b = await queue.enqueue(message({ sender: '', origin: 'dsn' }), T0 + 1);
    assert.notEqual(a, b);
    assert.deepEqual(
      queue.list().map((m) => [m.id, m.sender, m.origin, m.envelopeId, m.returnFull]),
      [
        [b, '', 'dsn', null, false],
        [a, 'a@x.test', 'submission', null, false],
      ],
    );
  });

  it('due() returns only messages whose recipients are due, earliest first, skipping busy ones', async () => {
    const late = await queue.enqueue(message({ recipients: ['x@late.test'] }), T0 + 500);
    const early = await queue.enqueue(message({ recipients: ['x@early.test'] }), T0 + 100);
    const mid = await queue.enqueue(message({ recipients: ['x@mid.test'] }), T0 + 300);
    assert.deepEqual(queue.due(T0, 10, NONE), []);
    assert.deepEqual(queue.due(T0 + 300, 10, NONE).map((m) => m.id), [early, mid]);
    assert.deepEqual(queue.due(T0 + 1000, 10, NONE).map((m) => m.id), [early, mid, late]);
    assert.deepEqual(queue.due(T0 + 1000, 2, NONE).map((m) => m.id), [early, mid]);
    // Busy messages do not use up the limit.
    assert.deepEqual(queue.due(T0 + 1000, 2, new Set([early])).map((m) => m.id), [mid, late]);
    assert.deepEqual(queue.due(T0 + 1000, 10, new Set([early, mid, late])), []);
  });

  it('due() lists a message once, ordered by its earliest due recipient', async () => {
    const a = await queue.enqueue(message({ recipients: ['a1@x.test', 'a2@x.test', 'a3@x.test'] }), T0);
    const b = await queue.enqueue(message({ recipients: ['b@x.test'] }), T0 + 500);
    await queue.record(
      [
        { messageId: a, address: 'a1@x.test', state: 'queued', attempted: true, nextAttemptAt: T0 + 900 },
        { messageId: a, address: 'a2@x.test', state: 'queued', attempted: true, nextAttemptAt: T0 + 100 },
        { messageId: a, address: 'a3@x.test', state: 'queued', attempted: true, nextAttemptAt: T0 + 2000 },
      ],
      [],
    );
    assert.deepEqual(queue.due(T0 + 1000, 10, NONE).map((m) => m.id), [a, b]);
    assert.deepEqual(queue.due(T0 + 50, 10, NONE), []);
  });

  it('record() updates a recipient and keeps the message while another is still queued', async () => {
    const id = await queue.enqueue(message(), T0);
    const bounceIds = await queue.record(
      [{ messageId: id, address: 'bob@Example.ORG', state: 'queued', attempted: true, nextAttemptAt: T0 + 600, lastError: '451 4.7.1 later' }],
      [],
      T0,
    );
    assert.deepEqual(bounceIds, []);
    const bob = queue.get(id)?.recipients[0];
    assert.deepEqual(bob && [bob.state, bob.attempts, bob.nextAttemptAt, bob.lastError, bob.warned], ['queued', 1, T0 + 600, '451 4.7.1 later', false]);

    // A delay warning: not an attempt, and leaves the schedule and last error alone.
    await queue.record([{ messageId: id, address: 'bob@Example.ORG', state: 'queued', attempted: false, warned: true }], []);
    const warned = queue.get(id)?.recipients[0];
    assert.deepEqual(warned && [warned.attempts, warned.nextAttemptAt, warned.lastError, warned.warned], [1, T0 + 600, '451 4.7.1 later', true]);

    await queue.record([{ messageId: id, address: 'carol@example.net', state: 'delivered', attempted: true }], []);
    assert.deepEqual(queue.get(id)?.recipients.map((r) => r.state), ['queued', 'delivered']);
    assert.equal(queue.nextDueAt(), T0 + 600);
  });

  it('record() deletes the message once no recipient is queued, and enqueues its bounces in the same call', async () => {
    const id = await queue.enqueue(message(), T0);
    const bounce = message({ sender: '', recipients: ['alice@example.com'], origin: 'dsn', raw: Buffer.from('bounce') });
    const [bounceId, ...rest] = await queue.record(
      [
        { messageId: id, address: 'bob@Example.ORG', state: 'failed', attempted: true, lastError: '550 5.1.1 unknown' },
        { messageId: id, address: 'carol@example.net', state: 'delivered', attempted: true },
      ],
      [bounce],
      T0 + 50,
    );
    assert.equal(rest.length, 0);
    assert.equal(queue.get(id), null);
    assert.equal(queue.raw(id), null);
    assert.ok(bounceId);
    const queued = queue.get(bounceId);
    assert.equal(queued?.sender, '');
    assert.equal(queued?.origin, 'dsn');
    assert.equal(queued?.createdAt, T0 + 50);
    assert.deepEqual(queue.raw(bounceId), Buffer.from('bounce'));
    assert.deepEqual(queue.list().map((m) => m.id), [bounceId]);
  });

  it('retryNow() makes waiting recipients due, for one message or all', async () => {
    const a = await queue.enqueue(message(), T0 + 1000);
    const b = await queue.enqueue(message({ recipients: ['z@b.test'] }), T0 + 2000);
    await queue.record([{ messageId: a, address: 'carol@example.net', state: 'delivered', attempted: true }], []);
    assert.deepEqual(queue.due(T0, 10, NONE), []);
    assert.equal(queue.retryNow(a), 1); // the delivered recipient is not rescheduled
    assert.deepEqual(queue.due(T0, 10, NONE).map((m) => m.id), [a]);
    assert.equal(queue.retryNow(), 2);
    assert.deepEqual(queue.due(T0, 10, NONE).map((m) => m.id).sort(), [a, b].sort());
    assert.equal(queue.retryNow('NOPE'), 0);
  });

  it('delete() removes a message and its recipients', async () => {
    const id = await queue.enqueue(message(), T0 + 10);
    const other = await queue.enqueue(message(), T0 + 20);
    assert.equal(queue.delete(id), true);
    assert.equal(queue.delete(id), false);
    assert.equal(queue.get(id), null);
    assert.equal(queue.nextDueAt(), T0 + 20); // the deleted message's recipients no longer wait
    assert.deepEqual(queue.list().map((m) => m.id), [other]);
  });

  it('nextDueAt() is the earliest queued recipient, or null when nothing waits', async () => {
    assert.equal(queue.nextDueAt(), null);
    const id = await queue.enqueue(message({ recipients: ['only@x.test'] }), T0 + 70);
    assert.equal(queue.nextDueAt(), T0 + 70);
    await queue.record([{ messageId: id, address: 'only@x.test', state: 'delivered', attempted: true }], []);
    assert.equal(queue.nextDueAt(), null);
  });

  it('keeps messages across closing and reopening', async () => {
    const id = await queue.enqueue(message(), T0);
    await queue.record([{ messageId: id, address: 'bob@Example.ORG', state: 'queued', attempted: true, nextAttemptAt: T0 + 5, lastError: 'x' }], []);
    const before = queue.get(id);
    queue.close();
    queue = new QueueDb(dir);
    assert.deepEqual(queue.get(id), before);
    assert.deepEqual(queue.raw(id), message().raw);
    assert.equal(queue.nextDueAt(), T0);
  });
});

describe('QueueDb DSN parameters', () => {
  it('keeps NOTIFY and ORCPT per recipient', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailwerk-queue-dsn-'));
    const db = new QueueDb(dir);
    try {
      const id = await db.enqueue({
        sender: 'a@example.test',
        recipients: ['b@example.org', 'c@example.org'],
        raw: Buffer.from('Subject: x\r\n\r\nx\r\n'),
        origin: 'submission',
        envelopeId: 'env-1',
        returnFull: true,
        dsn: [{ address: 'B@example.org', notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;b@example.org' }],
      });
      const message = db.get(id)!;
      assert.equal(message.envelopeId, 'env-1');
      assert.equal(message.returnFull, true);
      assert.deepEqual(message.recipients.map((r) => [r.address, r.notify, r.orcpt]), [
        ['b@example.org', ['SUCCESS', 'FAILURE'], 'rfc822;b@example.org'],
        ['c@example.org', null, null],
      ]);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
