import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expired, nextAttemptAt, warnDue, type RetrySchedule } from './schedule.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const schedule: RetrySchedule = { retryBaseMs: 5 * MINUTE, maxRetryMs: HOUR, lifetimeMs: 5 * 24 * HOUR, warnAfterMs: 4 * HOUR };
const now = 1_700_000_000_000;

describe('retry schedule', () => {
  it('waits the base after the first failure and doubles with each further one', () => {
    const waits = [1, 2, 3, 4].map((attempts) => nextAttemptAt(now, attempts, schedule) - now);
    assert.deepEqual(waits, [5 * MINUTE, 10 * MINUTE, 20 * MINUTE, 40 * MINUTE]);
  });

  it('caps the wait at maxRetryMs, even after very many failures', () => {
    assert.equal(nextAttemptAt(now, 5, schedule) - now, HOUR); // 80 minutes, capped
    assert.equal(nextAttemptAt(now, 1000, schedule) - now, HOUR);
  });

  it('treats zero attempts like the first failure', () => {
    assert.equal(nextAttemptAt(now, 0, schedule) - now, 5 * MINUTE);
  });

  it('expires a message once it is lifetimeMs old, not before', () => {
    assert.equal(expired(now, now + schedule.lifetimeMs - 1, schedule), false);
    assert.equal(expired(now, now + schedule.lifetimeMs, schedule), true);
    assert.equal(expired(now, now + 10 * schedule.lifetimeMs, schedule), true);
  });

  it('warns once a message is warnAfterMs old, not before', () => {
    assert.equal(warnDue(now, now, schedule), false);
    assert.equal(warnDue(now, now + schedule.warnAfterMs - 1, schedule), false);
    assert.equal(warnDue(now, now + schedule.warnAfterMs, schedule), true);
  });
});
