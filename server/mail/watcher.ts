import type { ImapFlow } from 'imapflow';
import type { MailEvent } from '../../shared/events.ts';
import type { Logger } from '../../mailserver/log/logger.ts';
import { toMessageFlags } from './flags.ts';
import { folderCounts } from './folders.ts';
import { connectClient, createImapClient, proxyClientInfo, type Credentials, type ImapEndpoint, type PooledImapConnection } from './imap-connection.ts';
import { fetchSummaries } from './summaries.ts';

type Listener = (event: MailEvent) => void;

const MAX_BACKOFF_MS = 30_000;

/**
 * The session's second IMAP connection: it sits in IDLE on one folder and turns the server's untagged
 * EXISTS / EXPUNGE / FETCH FLAGS into events. Details (the new messages' summaries, counts) are fetched on
 * the command connection, so the watcher never leaves IDLE for long. After a drop it reconnects with
 * backoff and catches up on messages that arrived meanwhile.
 */
export class MailWatcher {
  private readonly listeners = new Set<Listener>();
  private client: ImapFlow | null = null;
  private folder = 'INBOX';
  /** UIDs at or above this are news. */
  private nextUid = 0;
  private stopped = false;
  private backoff = 1000;
  private running: Promise<void> | null = null;
  private work: Promise<void> = Promise.resolve();

  constructor(
    private readonly endpoint: ImapEndpoint,
    private readonly credentials: Credentials,
    private readonly commands: PooledImapConnection,
    private readonly log: Logger,
    private readonly browserIp: string,
  ) {}

  /** Start (or move to `folder`) and deliver its events to `listener` until the returned function is called. */
  subscribe(folder: string, listener: Listener): () => void {
    this.listeners.add(listener);
    this.stopped = false;
    if (folder !== this.folder) {
      this.folder = folder;
      this.nextUid = 0;
      this.client?.close();
    }
    this.running ??= this.loop();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  stop(): void {
    this.stopped = true;
    this.client?.close();
    this.client = null;
  }

  private emit(event: MailEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.watchOnce();
        this.backoff = 1000;
      } catch (error) {
        this.log.debug('gateway.watch.error', { user: this.credentials.user, error: (error as Error).message });
      }
      if (this.stopped) break;
      await new Promise((r) => setTimeout(r, this.backoff).unref());
      this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
    }
    this.running = null;
  }

  /** One connection's life: open the folder, report, and wait for it to close. */
  private async watchOnce(): Promise<void> {
    const client = await connectClient(createImapClient(this.endpoint, this.credentials, proxyClientInfo(this.endpoint, this.browserIp), 'watch'));
    if (this.stopped) return client.close();
    this.client = client;
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    const folder = this.folder;
    const mailbox = await client.mailboxOpen(folder, { readOnly: true });
    const catchUpFrom = this.nextUid;
    this.nextUid = mailbox.uidNext;
    client.on('exists', () => this.queue(() => this.reportNew(folder)));
    client.on('expunge', (event: { uid?: number }) => {
      this.queue(async () => {
        if (event.uid) this.emit({ type: 'expunge', folder, uids: [event.uid] });
        await this.reportCounts(folder);
      });
    });
    client.on('flags', (event: { uid?: number; flags?: Set<string> }) => {
      this.queue(async () => {
        if (event.uid) this.emit({ type: 'flags', folder, uid: event.uid, flags: toMessageFlags(event.flags) });
        await this.reportCounts(folder);
      });
    });
    this.emit({ type: 'ready', folder });
    if (catchUpFrom > 0 && catchUpFrom < mailbox.uidNext) this.queue(() => this.reportNew(folder, catchUpFrom));
    else this.queue(() => this.reportCounts(folder));
    await closed;
    if (this.client === client) this.client = null;
  }

  /** Events are worked off one at a time so "new" and "counts" reach the browser in order. */
  private queue(task: () => Promise<void>): void {
    this.work = this.work.then(task).catch((error) => this.log.debug('gateway.watch.report_failed', { error: (error as Error).message }));
  }

  private async reportNew(folder: string, from = this.nextUid): Promise<void> {
    const messages = await this.commands.inMailbox(folder, async (client) => {
      const uids = ((await client.search({ uid: `${Math.max(1, from)}:*` }, { uid: true })) || []).filter((uid) => uid >= from);
      return fetchSummaries(client, folder, uids.slice(-200));
    });
    if (messages.length > 0) {
      this.nextUid = Math.max(this.nextUid, ...messages.map((m) => m.uid + 1));
      this.emit({ type: 'new', folder, messages });
    }
    await this.reportCounts(folder);
  }

  private async reportCounts(folder: string): Promise<void> {
    const client = await this.commands.get();
    const counts = await folderCounts(client, folder);
    this.emit({ type: 'counts', folder, ...counts });
  }
}
