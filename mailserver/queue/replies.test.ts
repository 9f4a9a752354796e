import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cleanReply, outcomeOfReply, statusOf } from './replies.ts';

describe('statusOf', () => {
  it('takes the enhanced status code from the reply, after a space or a hyphen', () => {
    assert.equal(statusOf('550 5.1.1 No such user', 4), '5.1.1');
    assert.equal(statusOf('452-4.2.2 Mailbox full', 5), '4.2.2');
    assert.equal(statusOf('  250 2.0.0 Ok  ', 4), '2.0.0');
    assert.equal(statusOf('554 5.123.456 odd but valid', 4), '5.123.456');
  });

  it('derives X.0.0 from the basic code when there is no enhanced code', () => {
    assert.equal(statusOf('550 Mailbox unavailable', 4), '5.0.0');
    assert.equal(statusOf('421 Service not available', 5), '4.0.0');
    // Not an enhanced code: wrong class, too many digits, or not at the start of the text.
    assert.equal(statusOf('550 3.1.1 nope', 4), '5.0.0');
    assert.equal(statusOf('550 5.1.1234 nope', 4), '5.0.0');
    assert.equal(statusOf('550 user 5.1.1 unknown', 4), '5.0.0');
  });

  it('falls back to the given class when the reply has no usable code at all', () => {
    assert.equal(statusOf('', 4), '4.0.0');
    assert.equal(statusOf('connection reset', 5), '5.0.0');
    assert.equal(statusOf('354 go ahead', 4), '4.0.0');
  });
});

describe('cleanReply', () => {
  it('joins a multi-line reply into one line', () => {
    assert.equal(cleanReply('550-5.1.1 first\r\n550 5.1.1 second\r\n'), '550-5.1.1 first 550 5.1.1 second');
    assert.equal(cleanReply('a\n\n\rb'), 'a b');
  });

  it('replaces control and non-ASCII characters', () => {
    assert.equal(cleanReply('550 bad\x00\x1b[31m\tné'), '550 bad??[31m?n?');
  });

  it('bounds the length to 500 characters', () => {
    const long = `550 ${'x'.repeat(2000)}`;
    assert.equal(cleanReply(long).length, 500);
    assert.ok(cleanReply(long).startsWith('550 xxx'));
  });
});

describe('outcomeOfReply', () => {
  it('2xx is delivered', () => {
    assert.deepEqual(outcomeOfReply('250 2.0.0 Ok: queued as ABC\r\n', 'mx.example.org'), {
      kind: 'delivered',
      reply: '250 2.0.0 Ok: queued as ABC',
      remote: 'mx.example.org',
    });
  });

  it('5xx is permanent, with its status', () => {
    assert.deepEqual(outcomeOfReply('550 5.1.1 <bob@example.org>: unknown', 'mx'), {
      kind: 'permanent',
      reply: '550 5.1.1 <bob@example.org>: unknown',
      status: '5.1.1',
      remote: 'mx',
    });
    assert.deepEqual(outcomeOfReply('554 rejected', 'mx'), { kind: 'permanent', reply: '554 rejected', status: '5.0.0', remote: 'mx' });
  });

  it('4xx and anything unexpected is temporary', () => {
    assert.deepEqual(outcomeOfReply('451 4.7.1 greylisted', 'mx'), { kind: 'temporary', reply: '451 4.7.1 greylisted', status: '4.7.1', remote: 'mx' });
    for (const odd of ['', '354 go ahead', 'garbage', 'Connection closed']) {
      assert.deepEqual(outcomeOfReply(odd, 'mx'), { kind: 'temporary', reply: odd, status: '4.0.0', remote: 'mx' }, JSON.stringify(odd));
    }
  });

  it('cleans the reply text before keeping it', () => {
    const outcome = outcomeOfReply('550 5.7.1 spam\r\nInjected: header\x00', 'mx');
    assert.equal(outcome.reply, '550 5.7.1 spam Injected: header?');
  });
});
