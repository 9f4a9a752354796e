/**
 * Brute-force defence shared by every protocol that takes passwords. Each failure from an IP or against
 * an account grows the delay before the next answer (doubling from 1 s, capped); after `lockAfter`
 * failures within the window the key is refused outright until the window passes. A success clears the
 * account's counter but not the IP's, so one valid account cannot launder guesses against others.
 */
export interface ThrottleOptions {
  windowMs: number;
  lockAfter: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = { windowMs: 15 * 60 * 1000, lockAfter: 10, baseDelayMs: 1000, maxDelayMs: 15000 };

interface Entry {
  failures: number;
  since: number;
}

export class AuthThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: ThrottleOptions = DEFAULT_THROTTLE) {}

  private entry(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && now - entry.since > this.options.windowMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** True when this IP or account has failed too often and must not even be tried now. */
  isLocked(ip: string, account: string, now = Date.now()): boolean {
    const limit = this.options.lockAfter;
    return (this.entry(`ip:${ip}`, now)?.failures ?? 0) >= limit || (this.entry(`acct:${account.toLowerCase()}`, now)?.failures ?? 0) >= limit;
  }

  /** Record a failure and return how long to wait before answering. */
  fail(ip: string, account: string, now = Date.now()): number {
    let worst = 0;
    for (const key of [`ip:${ip}`, `acct:${account.toLowerCase()}`]) {
      const entry = this.entry(key, now) ?? { failures: 0, since: now };
      entry.failures++;
      this.entries.set(key, entry);
      worst = Math.max(worst, entry.failures);
    }
    this.prune(now);
    return Math.min(this.options.baseDelayMs * 2 ** (worst - 1), this.options.maxDelayMs);
  }

  succeed(account: string): void {
    this.entries.delete(`acct:${account.toLowerCase()}`);
  }

  private prune(now: number): void {
    if (this.entries.size < 100_000) return;
    for (const [key, entry] of this.entries) if (now - entry.since > this.options.windowMs) this.entries.delete(key);
  }
}
