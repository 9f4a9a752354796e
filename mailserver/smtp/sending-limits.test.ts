import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SmtpReply } from './replies.ts';
import { SendingLimits, type SendingLimitSettings } from './sending-limits.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T0 = 1_700_000_000_000;

const settings = (overrides: Partial<SendingLimitSettings> = {}): SendingLimitSettings => ({
  messagesPerHour: 1000,
  messagesPerDay: 1000,
  recipientsPerHour: 1000,
  recipientsPerDay: 1000,
  ...overrides,
});

function assertRefused(result: SmtpReply | null, code: number, enhanced: string): void {
  assert.ok(result, 'expected a refusal');
  assert.equal(result.responseCode, code);
  assert.ok(result.message.startsWith(`${enhanced} `), result.message);
}

describe('SendingLimits: messages', () => {
  it('refuses the message over the hourly limit with 451 4.7.1 until the hour has passed', () => {
    const limits = new SendingLimits(settings({ messagesPerHour: 3 }));
    for (let i = 0; i < 3; i++) {
      assert.equal(limits.checkMessage('a1', T0 + i), null);
      limits.record('a1', ['x@example.org'], T0 + i);
    }
    assertRefused(limits.checkMessage('a1', T0 + 10), 451, '4.7.1');
    assertRefused(limits.checkMessage('a1', T0 + HOUR - 1), 451, '4.7.1');
    assert.equal(limits.checkMessage('a1', T0 + HOUR), null); // the first one has left the window
    assert.equal(limits.checkMessage('a2', T0 + 10), null); // other accounts are not affected
  });

  it('refuses the message over the daily limit with 550 5.7.1 until the day has passed', () => {
    const limits = new SendingLimits(settings({ messagesPerHour: 2, messagesPerDay: 4 }));
    for (const at of [T0, T0 + 1, T0 + 2 * HOUR, T0 + 2 * HOUR + 1]) limits.record('a1', ['x@example.org'], at);
    assertRefused(limits.checkMessage('a1', T0 + 2 * HOUR + 2), 550, '5.7.1'); // the daily limit wins over the hourly one
    assertRefused(limits.checkMessage('a1', T0 + 5 * HOUR), 550, '5.7.1');
    assert.equal(limits.checkMessage('a1', T0 + DAY), null);
  });
});

describe('SendingLimits: recipients', () => {
  it('counts each recipient once per window, case-insensitively', () => {
    const limits = new SendingLimits(settings({ recipientsPerHour: 2 }));
    assert.equal(limits.checkRecipients('a1', ['bob@example.org', 'BOB@example.org', 'carol@example.org'], T0), null);
    limits.record('a1', ['bob@example.org', 'carol@example.org'], T0);
    // Writing again to the same people costs nothing.
    assert.equal(limits.checkRecipients('a1', ['Bob@Example.org', 'carol@example.org'], T0 + 1), null);
    limits.record('a1', ['Bob@Example.org'], T0 + 1);
    assertRefused(limits.checkRecipients('a1', ['bob@example.org', 'dave@example.org'], T0 + 2), 451, '4.7.1');
    assert.equal(limits.checkRecipients('a1', ['dave@example.org'], T0 + HOUR + 1), null);
  });

  it('refuses new recipients over the daily limit with 550 5.7.1 until the day has passed', () => {
    const limits = new SendingLimits(settings({ recipientsPerHour: 2, recipientsPerDay: 3 }));
    limits.record('a1', ['r1@x.test', 'r2@x.test'], T0);
    limits.record('a1', ['r3@x.test'], T0 + 2 * HOUR);
    assertRefused(limits.checkRecipients('a1', ['r4@x.test'], T0 + 3 * HOUR), 550, '5.7.1');
    assert.equal(limits.checkRecipients('a1', ['r1@x.test', 'r3@x.test'], T0 + 3 * HOUR), null);
    assert.equal(limits.checkRecipients('a1', ['r4@x.test', 'r5@x.test'], T0 + DAY), null); // r1 and r2 expired
  });

  it('counts a recipient mailed earlier in the day again in the current hour', () => {
    const limits = new SendingLimits(settings({ recipientsPerHour: 2 }));
    limits.record('a1', ['r1@x.test', 'r2@x.test', 'r3@x.test'], T0);
    const later = T0 + 2 * HOUR;
    assertRefused(limits.checkRecipients('a1', ['r1@x.test', 'r2@x.test', 'r3@x.test'], later), 451, '4.7.1');
    assert.equal(limits.checkRecipients('a1', ['r1@x.test', 'r2@x.test'], later), null);
    limits.record('a1', ['r1@x.test', 'r2@x.test'], later);
    assertRefused(limits.checkRecipients('a1', ['r3@x.test'], later + 1), 451, '4.7.1');
  });
});
