import { randomBytes } from 'node:crypto';
import type { PooledImapConnection } from '../mail/imap-connection.ts';
import { UploadStore } from '../mail/uploads.ts';

export interface SessionTimeouts {
  idleMs: number;
  absoluteMs: number;
}

export const DEFAULT_TIMEOUTS: SessionTimeouts = { idleMs: 30 * 60_000, absoluteMs: 12 * 3600_000 };

/**
 * One logged-in browser. The password stays in memory only, because SMTP AUTH on send and reconnecting
 * IMAP after a drop need it; it is dropped with the session and never serialised.
 */
export class Session {
  readonly id = randomBytes(32).toString('base64url');
  readonly csrfToken = randomBytes(32).toString('base64url');
  readonly createdAt: number;
  lastSeen: number;
  readonly uploads: UploadStore;
  /** Unread count per folder as of its last first page (see listPage). */
  readonly unreadSeen = new Map<string, number>();
  /** Things to stop when the session ends (the IDLE watcher, open event streams). */
  private readonly closers = new Set<() => void>();

  constructor(
    readonly address: string,
    readonly password: string,
    /** The browser's address at login, passed on to the mail server for its throttling and logs. */
    readonly clientIp: string,
    readonly imap: PooledImapConnection,
    now: number,
    uploadLimitBytes: number,
  ) {
    this.createdAt = now;
    this.lastSeen = now;
    this.uploads = new UploadStore(uploadLimitBytes);
  }

  onClose(closer: () => void): () => void {
    this.closers.add(closer);
    return () => this.closers.delete(closer);
  }

  async close(): Promise<void> {
    for (const closer of this.closers) closer();
    this.closers.clear();
    this.uploads.clear();
    await this.imap.close();
  }
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(readonly timeouts: SessionTimeouts = DEFAULT_TIMEOUTS) {
    this.sweeper = setInterval(() => this.sweep(Date.now()), Math.min(60_000, timeouts.idleMs)).unref();
  }

  add(session: Session): void {
    this.sessions.set(session.id, session);
  }

  /** The live session for this id, touched; expired sessions are closed and forgotten. */
  get(id: string | undefined, now = Date.now()): Session | null {
    if (!id) return null;
    const session = this.sessions.get(id);
    if (!session) return null;
    if (this.expired(session, now)) {
      void this.destroy(id);
      return null;
    }
    session.lastSeen = now;
    return session;
  }

  expiresAt(session: Session): Date {
    return new Date(session.createdAt + this.timeouts.absoluteMs);
  }

  async destroy(id: string): Promise<void> {
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    await session.close();
  }

  get size(): number {
    return this.sessions.size;
  }

  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.sessions.keys()].map((id) => this.destroy(id)));
  }

  private expired(session: Session, now: number): boolean {
    return now - session.lastSeen > this.timeouts.idleMs || now - session.createdAt > this.timeouts.absoluteMs;
  }

  private sweep(now: number): void {
    for (const [id, session] of this.sessions) if (this.expired(session, now)) void this.destroy(id);
  }
}
