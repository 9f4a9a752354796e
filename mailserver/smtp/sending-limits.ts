import { reply, type SmtpReply } from './replies.ts';

export interface SendingLimitSettings {
  messagesPerHour: number;
  messagesPerDay: number;
  recipientsPerHour: number;
  recipientsPerDay: number;
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;

interface AccountUsage {
  /** When each accepted message was sent. */
  messages: number[];
  /** Last time each recipient was written to: a recipient counts once per window, however often mailed. */
  recipients: Map<string, number>;
}

/**
 * Per-account sending limits, so a stolen password cannot turn into a spam cannon. The hourly limit is a
 * temporary refusal (451: slow down); the daily one is permanent for the day (550), and both are logged
 * by the caller for the admin.
 */
export class SendingLimits {
  private readonly usage = new Map<string, AccountUsage>();

  constructor(private readonly settings: SendingLimitSettings) {}

  /** A refusal if one more message would exceed a limit, else null. */
  checkMessage(account: string, now = Date.now()): SmtpReply | null {
    const sent = this.prune(account, now).messages;
    const lastHour = sent.filter((t) => now - t < HOUR).length;
    if (sent.length >= this.settings.messagesPerDay) {
      return reply(550, '5.7.1', `Daily sending limit reached (${this.settings.messagesPerDay} messages); ask your administrator if you need more`);
    }
    if (lastHour >= this.settings.messagesPerHour) {
      return reply(451, '4.7.1', `Hourly sending limit reached (${this.settings.messagesPerHour} messages); try again later`);
    }
    return null;
  }

  /** A refusal if writing to `recipients` (some perhaps already counted) would exceed a limit, else null. */
  checkRecipients(account: string, recipients: string[], now = Date.now()): SmtpReply | null {
    const known = this.prune(account, now).recipients;
    const wanted = new Set(recipients.map((r) => r.toLowerCase()));
    const inDay = known.size + [...wanted].filter((r) => !known.has(r)).length;
    // A recipient last written to more than an hour ago is new to this hour's window.
    const inLastHour = (r: string) => {
      const t = known.get(r);
      return t !== undefined && now - t < HOUR;
    };
    const freshThisHour = [...wanted].filter((r) => !inLastHour(r)).length;
    const inHour = [...known.values()].filter((t) => now - t < HOUR).length + freshThisHour;
    if (inDay > this.settings.recipientsPerDay) {
      return reply(550, '5.7.1', `Daily recipient limit reached (${this.settings.recipientsPerDay} different recipients); ask your administrator if you need more`);
    }
    if (inHour > this.settings.recipientsPerHour) {
      return reply(451, '4.7.1', `Hourly recipient limit reached (${this.settings.recipientsPerHour} different recipients); try again later`);
    }
    return null;
  }

  /** Count a message that was accepted. */
  record(account: string, recipients: string[], now = Date.now()): void {
    const usage = this.prune(account, now);
    usage.messages.push(now);
    for (const r of recipients) usage.recipients.set(r.toLowerCase(), now);
  }

  private prune(account: string, now: number): AccountUsage {
    let usage = this.usage.get(account);
    if (!usage) {
      usage = { messages: [], recipients: new Map() };
      this.usage.set(account, usage);
    }
    usage.messages = usage.messages.filter((t) => now - t < DAY);
    for (const [r, t] of usage.recipients) if (now - t >= DAY) usage.recipients.delete(r);
    return usage;
  }
}
