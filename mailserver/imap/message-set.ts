import type { SessionState } from './context.ts';
import { maxExplicit, resolveSet, selectSorted } from './protocol/seqset.ts';
import type { SequenceSet } from './protocol/types.ts';

export type SetResolution = { ok: true; uids: number[] } | { ok: false; error: string };

/**
 * The UIDs (ascending) a sequence set names in the selected mailbox. Message numbers beyond the mailbox
 * are an error; UIDs that do not exist are silently skipped (RFC 9051 §6.4.9).
 */
export function resolveMessages(session: SessionState, set: SequenceSet, byUid: boolean): SetResolution {
  const view = session.view!;
  const uids = view.uids;
  if (set === '$') {
    const live = new Set(uids);
    return { ok: true, uids: session.savedSearch.filter((uid) => live.has(uid)) };
  }
  if (byUid) {
    const max = uids.length ? uids[uids.length - 1]! : 0;
    // "*" is the highest UID in use, so "559:*" with UIDs up to 300 means 300; an empty mailbox matches nothing.
    const resolved = resolveSet(set, max);
    return { ok: true, uids: selectSorted(resolved, uids).map((i) => uids[i]!) };
  }
  if (maxExplicit(set) > uids.length) {
    return { ok: false, error: `Message number ${maxExplicit(set)} is beyond the ${uids.length} messages in this mailbox` };
  }
  const resolved = resolveSet(set, uids.length);
  const result: number[] = [];
  for (const [from, to] of resolved) for (let seq = from; seq <= to; seq++) result.push(uids[seq - 1]!);
  return { ok: true, uids: result };
}
