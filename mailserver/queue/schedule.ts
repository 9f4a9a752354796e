/** When the queue tries again, warns, and gives up (Postfix-like defaults, configurable). */
export interface RetrySchedule {
  /** Wait after the first temporary failure; doubles with each further one. */
  retryBaseMs: number;
  /** Longest wait between two attempts. */
  maxRetryMs: number;
  /** Give up and bounce once a message is this old. */
  lifetimeMs: number;
  /** Tell the sender about the delay once a message is this old. */
  warnAfterMs: number;
}

/** Exponential backoff: base, 2×base, 4×base, … capped. `attempts` counts the failures so far (≥ 1). */
export function nextAttemptAt(now: number, attempts: number, schedule: RetrySchedule): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30);
  return now + Math.min(schedule.retryBaseMs * 2 ** exponent, schedule.maxRetryMs);
}

export const expired = (createdAt: number, now: number, schedule: RetrySchedule): boolean => now - createdAt >= schedule.lifetimeMs;

export const warnDue = (createdAt: number, now: number, schedule: RetrySchedule): boolean => now - createdAt >= schedule.warnAfterMs;
