import { isIP } from 'node:net';
import type { TlsaLookup, TlsaRecord } from '../dns/dnssec.ts';
import type { DnsResolver } from '../dns/resolver.ts';
import { danePolicy } from './dane.ts';
import type { Logger } from '../log/logger.ts';
import { composeDsn, type DsnRecipient } from './dsn.ts';
import type { QueueDb, RecipientUpdate } from './queue-db.ts';
import { routeFor, RouteFailure, type Route, type RoutingOptions } from './routes.ts';
import { expired, nextAttemptAt, warnDue, type RetrySchedule } from './schedule.ts';
import { attemptDelivery, ConnectionFailure, type AttemptMessage } from './smtp-client.ts';
import type { AttemptOutcome, NewQueuedMessage, QueuedMessage, QueuedRecipient } from './types.ts';

export interface QueueRunnerOptions {
  db: QueueDb;
  resolver: DnsResolver;
  log: Logger;
  /** Our name in EHLO and in bounces. */
  hostname: string;
  /** From address of bounces. */
  postmaster: string;
  routing: Omit<RoutingOptions, 'resolver'>;
  schedule: RetrySchedule;
  /** Messages worked on at once. */
  concurrency: number;
  /** Domains whose mail stays here (bounces to local senders, say) and how it is delivered. */
  isLocalDomain(domain: string): Promise<boolean>;
  deliverLocally(recipient: string, raw: Buffer): Promise<AttemptOutcome>;
  /** DANE: the TLSA records of an MX host (`_25._tcp.HOST`), with their DNSSEC status. */
  lookupTlsa?(host: string): Promise<TlsaLookup>;
  /** DANE: whether the domain's MX (or, without MX, address) lookup is DNSSEC-authenticated. */
  routeAuthenticated?(domain: string, via: 'mx' | 'address'): Promise<boolean>;
  /** Where a bounce for this envelope sender goes (an SRS address of ours → the original sender). */
  bounceAddress?(sender: string): string;
}

const temporary = (reply: string, status: string): AttemptOutcome => ({ kind: 'temporary', reply, status });

/** RFC 3461 §4.1: without NOTIFY, failures and delays are reported; NEVER silences all; else as listed. */
function wantsReport(recipient: QueuedRecipient, event: 'SUCCESS' | 'FAILURE' | 'DELAY'): boolean {
  if (!recipient.notify) return event !== 'SUCCESS';
  return recipient.notify.includes(event);
}

/**
 * Works the queue: picks due messages, delivers each domain's recipients in one transaction, and records
 * every recipient's fate together with the bounces it causes, so no failure goes unreported and none twice.
 */
export class QueueRunner {
  private readonly busy = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private passScheduled = false;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(private readonly options: QueueRunnerOptions) {}

  start(): void {
    this.kick();
  }

  /** Something was queued or rescheduled: look at the queue soon. */
  kick(): void {
    if (this.stopped || this.passScheduled) return;
    this.passScheduled = true;
    setImmediate(() => {
      this.passScheduled = false;
      this.pass();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.busy.size > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private pass(): void {
    if (this.stopped) return;
    const room = this.options.concurrency - this.busy.size;
    const now = Date.now();
    const due = room > 0 ? this.options.db.due(now, room, this.busy) : [];
    for (const message of due) {
      this.busy.add(message.id);
      void this.process(message)
        .catch((error: unknown) => this.options.log.error('queue.process.failed', { id: message.id, error: String(error) }))
        .finally(() => {
          this.busy.delete(message.id);
          if (this.busy.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
          this.kick();
        });
    }
    this.scheduleTimer();
  }

  private scheduleTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    const next = this.options.db.nextDueAt();
    if (next === null) return;
    // Something due but not taken is in flight or waits for room: its completion kicks the next pass,
    // so no short timer spins meanwhile. Sleeps are capped so a changed clock or a queue edited by the
    // CLI is noticed within 15 seconds.
    const untilDue = next - Date.now();
    const wait = untilDue <= 0 ? 15_000 : Math.min(untilDue, 15_000);
    this.timer = setTimeout(() => this.pass(), wait);
    this.timer.unref();
  }

  private async process(message: QueuedMessage): Promise<void> {
    const raw = this.options.db.raw(message.id);
    if (!raw) return; // deleted meanwhile
    const now = Date.now();
    const due = message.recipients.filter((r) => r.state === 'queued' && r.nextAttemptAt <= now);
    const byDomain = new Map<string, QueuedRecipient[]>();
    for (const r of due) byDomain.set(r.domain, [...(byDomain.get(r.domain) ?? []), r]);
    const outcomes = new Map<string, AttemptOutcome>();
    await Promise.all(
      [...byDomain].map(async ([domain, recipients]) => {
        const results = await this.deliverDomain(domain, message.sender, recipients.map((r) => r.address), raw);
        for (const [address, outcome] of results) outcomes.set(address, outcome);
      }),
    );
    await this.record(message, due, outcomes, raw);
  }

  private async deliverDomain(domain: string, sender: string, recipients: string[], raw: Buffer): Promise<Map<string, AttemptOutcome>> {
    const all = (outcome: AttemptOutcome) => new Map(recipients.map((r) => [r, outcome]));
    if (await this.options.isLocalDomain(domain)) {
      const results = new Map<string, AttemptOutcome>();
      for (const r of recipients) results.set(r, await this.options.deliverLocally(r, raw));
      return results;
    }
    let route;
    try {
      route = await routeFor(domain, { ...this.options.routing, resolver: this.options.resolver });
    } catch (error) {
      if (!(error instanceof RouteFailure)) throw error;
      const reply = `${error.permanent ? 550 : 451} ${error.status} ${error.message}`;
      return all(error.permanent ? { kind: 'permanent', reply, status: error.status } : temporary(reply, error.status));
    }
    const message: AttemptMessage = { heloName: this.options.hostname, sender, recipients, raw };
    let lastProblem = 'no mail server could be reached';
    for (const { host, port } of route.hosts) {
      const addresses = isIP(host) ? [host] : await this.options.resolver.addresses(host).catch(() => [] as string[]);
      if (addresses.length === 0) lastProblem = `${host} has no address`;
      const security = await this.hostSecurity(route, domain, host);
      if ('problem' in security) {
        lastProblem = security.problem;
        continue;
      }
      for (const address of addresses) {
        const target = { address, port, hostname: host, ...security };
        try {
          const result = await this.attempt(target, message);
          const policy = target.tlsa ? 'dane' : (route.policy ?? (target.requireTls ? 'tls-required' : 'opportunistic'));
          this.options.log.info('queue.attempt', { domain, remote: `${host}[${address}]:${port}`, tls: result.encrypted, policy, recipients: recipients.length });
          return result.outcomes;
        } catch (error) {
          if (!(error instanceof ConnectionFailure)) throw error;
          lastProblem = error.message;
          this.options.log.info('queue.attempt.failed', { domain, remote: `${host}[${address}]:${port}`, reason: error.message });
        }
      }
    }
    return all(temporary(`451 4.4.1 ${lastProblem}`, '4.4.1'));
  }

  /**
   * TLS requirements for one MX host. DANE (RFC 7672) applies when its TLSA records are DNSSEC-authenticated
   * and then takes precedence over MTA-STS (RFC 8461 §2); a failed TLSA lookup defers rather than risking a
   * downgrade to plaintext.
   */
  private async hostSecurity(route: Route, domain: string, host: string): Promise<{ requireTls: boolean; verifyCertificate: boolean; tlsa?: TlsaRecord[] } | { problem: string }> {
    const base = { requireTls: route.requireTls, verifyCertificate: route.verifyCertificate };
    if (!this.options.lookupTlsa || (route.via !== 'mx' && route.via !== 'address') || isIP(host)) return base;
    let lookup: TlsaLookup;
    try {
      // RFC 7672 §2.2: only hosts reached through a secure MX (or address) lookup have usable TLSA records.
      if (this.options.routeAuthenticated && !(await this.options.routeAuthenticated(domain, route.via))) return base;
      lookup = await this.options.lookupTlsa(host);
    } catch {
      return { problem: `DANE: a DNSSEC lookup for ${host} failed; will retry` };
    }
    const dane = danePolicy(lookup);
    if (dane.mode === 'verify') return { requireTls: true, verifyCertificate: false, tlsa: dane.records };
    if (dane.mode === 'encrypt') return { requireTls: true, verifyCertificate: false };
    return base;
  }

  /** Opportunistic TLS that fails is retried in plaintext, unless a policy requires TLS (then: later). */
  private async attempt(target: Parameters<typeof attemptDelivery>[0], message: AttemptMessage) {
    try {
      return await attemptDelivery(target, message);
    } catch (error) {
      if (error instanceof ConnectionFailure && error.tlsFailed && !target.requireTls) return attemptDelivery(target, message, false);
      throw error;
    }
  }

  private async record(message: QueuedMessage, attempted: QueuedRecipient[], outcomes: Map<string, AttemptOutcome>, raw: Buffer): Promise<void> {
    const { schedule, log } = this.options;
    const now = Date.now();
    const updates: RecipientUpdate[] = [];
    const reports = { failed: [] as DsnRecipient[], delayed: [] as DsnRecipient[], succeeded: [] as DsnRecipient[] };
    for (const r of attempted) {
      const outcome = outcomes.get(r.address) ?? temporary('451 4.4.0 not attempted', '4.4.0');
      // The DSN names the remote host (RFC 3464 Remote-MTA); the address and port stay in the log.
      const remoteMta = 'remote' in outcome && outcome.remote ? outcome.remote.split(' ')[0] : undefined;
      const about = { address: r.address, originalRecipient: r.orcpt ?? undefined, diagnostic: outcome.reply, remoteMta, lastAttempt: new Date(now) };
      if (outcome.kind === 'delivered') {
        updates.push({ messageId: message.id, address: r.address, state: 'delivered', attempted: true, lastError: outcome.reply });
        // Delivered here: "delivered"; handed to a server that promises nothing about reports: "relayed".
        if (wantsReport(r, 'SUCCESS')) reports.succeeded.push({ ...about, action: remoteMta === 'local' ? 'delivered' : 'relayed', status: '2.0.0', remoteMta: remoteMta === 'local' ? undefined : remoteMta });
        log.info('queue.delivered', { id: message.id, rcpt: r.address, remote: remoteMta, reply: outcome.reply });
        continue;
      }
      const giveUp = outcome.kind === 'permanent' || expired(message.createdAt, now, schedule);
      if (giveUp) {
        updates.push({ messageId: message.id, address: r.address, state: 'failed', attempted: true, lastError: outcome.reply });
        if (wantsReport(r, 'FAILURE')) reports.failed.push({ ...about, action: 'failed', status: outcome.kind === 'permanent' ? outcome.status : '4.4.7' });
        log.info('queue.failed', { id: message.id, rcpt: r.address, reply: outcome.reply, expired: outcome.kind !== 'permanent', reported: wantsReport(r, 'FAILURE') });
        continue;
      }
      const warn = !r.warned && warnDue(message.createdAt, now, schedule);
      const next = nextAttemptAt(now, r.attempts + 1, schedule);
      updates.push({ messageId: message.id, address: r.address, state: 'queued', attempted: true, nextAttemptAt: next, lastError: outcome.reply, warned: warn });
      if (warn && wantsReport(r, 'DELAY')) reports.delayed.push({ ...about, action: 'delayed', status: outcome.status, willRetryUntil: new Date(message.createdAt + schedule.lifetimeMs) });
      log.info('queue.deferred', { id: message.id, rcpt: r.address, reply: outcome.reply, next: new Date(next).toISOString() });
    }
    const bounces = [reports.failed, reports.delayed, reports.succeeded].filter((list) => list.length > 0).flatMap((list) => this.bounce(message, list, raw));
    await this.options.db.record(updates, bounces, now);
    if (bounces.length > 0) this.kick();
  }

  /** A DSN to the envelope sender; bounces themselves (sender <>) are never bounced (RFC 5321 §6.1). */
  private bounce(message: QueuedMessage, recipients: DsnRecipient[], raw: Buffer): NewQueuedMessage[] {
    if (message.sender === '') {
      this.options.log.warn('queue.bounce.dropped', { id: message.id, reason: 'a bounce could not be delivered; bounces are never bounced' });
      return [];
    }
    const dsn = composeDsn({
      reportingMta: this.options.hostname,
      postmaster: this.options.postmaster,
      to: this.options.bounceAddress?.(message.sender) ?? message.sender,
      envelopeId: message.envelopeId ?? undefined,
      arrivalDate: new Date(message.createdAt),
      recipients,
      original: raw,
      returnFullMessage: message.returnFull,
    });
    return [{ sender: '', recipients: [this.options.bounceAddress?.(message.sender) ?? message.sender], raw: dsn, origin: 'dsn' }];
  }
}
