import type { FlagChange, MailStore, Mailbox } from '../store/types.ts';

/**
 * One session's view of its selected mailbox: the sequence-number map and what the client has been
 * told. Changes from anywhere (other sessions, delivery, other nodes) are pulled from the store by
 * modseq and turned into untagged responses at the points IMAP allows them.
 */
export interface ViewUpdate {
  /** UIDs the client must be told are gone. */
  expunged: Array<{ uid: number; seq: number }>;
  /** New EXISTS count when messages arrived. */
  exists: number | null;
  /** Flag changes on messages the client knows of. */
  changed: Array<FlagChange & { seq: number }>;
  recent: number | null;
}

export class MailboxView {
  /** Ascending UIDs; sequence number n is uids[n - 1]. */
  private uidList: number[];
  private knownModseq: number;
  private knownUidNext: number;
  private readonly recentUids = new Set<number>();
  /** Flag changes this session made itself and already reported (uid → modseq). */
  private readonly ownChanges = new Map<number, number>();
  /** Expunges held back while the client may be using sequence numbers (FETCH/STORE/SEARCH in progress). */
  private deferredExpunges: number[] = [];

  constructor(
    readonly mailbox: Mailbox,
    uids: number[],
    readonly readOnly: boolean,
    recentFrom: number,
  ) {
    this.uidList = uids;
    this.knownModseq = mailbox.highestModseq;
    // From the list itself, not the mailbox row: a message that arrived between reading the two is then reported.
    this.knownUidNext = uids.length ? uids[uids.length - 1]! + 1 : 1;
    if (!readOnly) for (const uid of uids) if (uid >= recentFrom) this.recentUids.add(uid);
  }

  get exists(): number {
    return this.uidList.length;
  }

  get uids(): readonly number[] {
    return this.uidList;
  }

  get highestModseq(): number {
    return this.knownModseq;
  }

  /** UIDNEXT as the client should see it. */
  get uidNext(): number {
    return Math.max(this.knownUidNext, this.mailbox.uidNext);
  }

  get recentCount(): number {
    return this.recentUids.size;
  }

  isRecent(uid: number): boolean {
    return this.reportRecent && this.recentUids.has(uid);
  }

  /** IMAP4rev2 has no \Recent: once a client enables it, the flag is no longer shown. */
  reportRecent = true;

  uidAt(seq: number): number | undefined {
    return this.uidList[seq - 1];
  }

  /** Sequence number of a UID, or 0 when the client does not know it. */
  seqOf(uid: number): number {
    let lo = 0;
    let hi = this.uidList.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const value = this.uidList[mid]!;
      if (value === uid) return mid + 1;
      if (value < uid) lo = mid + 1;
      else hi = mid - 1;
    }
    return 0;
  }

  /** Remember a flag change this session reports itself, so sync does not repeat it. */
  noteOwnChange(uid: number, modseq: number): void {
    this.ownChanges.set(uid, modseq);
  }

  /**
   * Pull changes from the store. With `allowExpunge` false (during FETCH, STORE, SEARCH by sequence number)
   * expunges are remembered and reported at the next point that allows them.
   */
  async sync(store: MailStore, allowExpunge: boolean, claimRecent: boolean): Promise<ViewUpdate> {
    const changes = await store.changesSince(this.mailbox.id, this.knownModseq, this.knownUidNext);
    this.knownModseq = Math.max(this.knownModseq, changes.highestModseq);
    this.deferredExpunges.push(...changes.expunged);
    const update: ViewUpdate = { expunged: [], exists: null, changed: [], recent: null };

    if (allowExpunge && this.deferredExpunges.length > 0) update.expunged = this.applyExpunges();
    if (changes.added.length > 0) {
      this.uidList.push(...changes.added);
      this.knownUidNext = changes.added[changes.added.length - 1]! + 1;
      update.exists = this.uidList.length;
      if (claimRecent && !this.readOnly) {
        const from = await store.claimRecent(this.mailbox.id);
        for (const uid of changes.added) if (uid >= from) this.recentUids.add(uid);
      }
      update.recent = this.recentUids.size;
    }
    const gone = new Set(this.deferredExpunges);
    for (const change of changes.changed) {
      if (this.ownChanges.get(change.uid) === change.modseq || gone.has(change.uid)) continue;
      const seq = this.seqOf(change.uid);
      if (seq > 0) update.changed.push({ ...change, seq });
    }
    this.ownChanges.clear();
    return update;
  }

  /** Remove deferred expunges from the map; returns them with the sequence numbers to announce, highest first. */
  private applyExpunges(): Array<{ uid: number; seq: number }> {
    const gone = new Set(this.deferredExpunges);
    this.deferredExpunges = [];
    const announced: Array<{ uid: number; seq: number }> = [];
    for (let i = this.uidList.length - 1; i >= 0; i--) {
      const uid = this.uidList[i]!;
      if (gone.has(uid)) announced.push({ uid, seq: i + 1 });
    }
    if (announced.length > 0) {
      this.uidList = this.uidList.filter((uid) => !gone.has(uid));
      for (const { uid } of announced) this.recentUids.delete(uid);
    }
    return announced;
  }
}
