import type { SearchNode, UidRange } from '../store/search.ts';
import type { SessionState } from './context.ts';
import { resolveMessages } from './message-set.ts';
import { resolveSet } from './protocol/seqset.ts';
import type { SearchKey } from './protocol/types.ts';

export type Translation = { ok: true; node: SearchNode; usesModseq: boolean } | { ok: false; error: string };

/** Consecutive UIDs → ranges, so a query names 1:100000 as one range. */
export function uidRanges(uids: readonly number[]): UidRange[] {
  const ranges: UidRange[] = [];
  for (const uid of uids) {
    const last = ranges[ranges.length - 1];
    if (last && uid === last.to + 1) last.to = uid;
    else ranges.push({ from: uid, to: uid });
  }
  return ranges;
}

const DATE_FIELDS = {
  BEFORE: ['internal', 'before'],
  ON: ['internal', 'on'],
  SINCE: ['internal', 'since'],
  SENTBEFORE: ['sent', 'before'],
  SENTON: ['sent', 'on'],
  SENTSINCE: ['sent', 'since'],
  SAVEDBEFORE: ['save', 'before'],
  SAVEDON: ['save', 'on'],
  SAVEDSINCE: ['save', 'since'],
} as const;

const TEXT_FIELDS = { FROM: 'from', TO: 'to', CC: 'cc', BCC: 'bcc', SUBJECT: 'subject', BODY: 'body', TEXT: 'text' } as const;

/**
 * IMAP search keys → the store's query language. Everything that depends on this session (sequence
 * numbers, $, \Recent) is resolved to UIDs here.
 */
export function translateSearch(session: SessionState, key: SearchKey): Translation {
  let usesModseq = false;
  const view = session.view!;
  const walk = (k: SearchKey): SearchNode | string => {
    switch (k.key) {
      case 'ALL':
      case 'SAVEDATESUPPORTED':
        return { op: 'all' };
      case 'FLAG': {
        const node: SearchNode =
          k.flag.toLowerCase() === '\\recent'
            ? { op: 'uid', ranges: uidRanges(view.uids.filter((uid) => view.isRecent(uid))) }
            : { op: 'flag', flag: k.flag };
        return k.set ? node : { op: 'not', node };
      }
      case 'FROM':
      case 'TO':
      case 'CC':
      case 'BCC':
      case 'SUBJECT':
      case 'BODY':
      case 'TEXT':
        return { op: 'text', field: TEXT_FIELDS[k.key], value: k.value };
      case 'HEADER':
        return { op: 'header', name: k.field, value: k.value };
      case 'BEFORE':
      case 'ON':
      case 'SINCE':
      case 'SENTBEFORE':
      case 'SENTON':
      case 'SENTSINCE':
      case 'SAVEDBEFORE':
      case 'SAVEDON':
      case 'SAVEDSINCE': {
        const [field, comparison] = DATE_FIELDS[k.key];
        return { op: 'date', field, comparison, day: k.date };
      }
      case 'LARGER':
        return { op: 'larger', bytes: k.size };
      case 'SMALLER':
        return { op: 'smaller', bytes: k.size };
      case 'UID': {
        if (k.set === '$') return { op: 'uid', ranges: uidRanges(session.savedSearch) };
        const max = view.uids.length ? view.uids[view.uids.length - 1]! : 0;
        return { op: 'uid', ranges: resolveSet(k.set, max).map(([from, to]) => ({ from, to })) };
      }
      case 'SEQ': {
        const resolved = resolveMessages(session, k.set, false);
        if (!resolved.ok) return resolved.error;
        return { op: 'uid', ranges: uidRanges(resolved.uids) };
      }
      case 'NOT': {
        const inner = walk(k.arg);
        return typeof inner === 'string' ? inner : { op: 'not', node: inner };
      }
      case 'OR': {
        const left = walk(k.left);
        if (typeof left === 'string') return left;
        const right = walk(k.right);
        return typeof right === 'string' ? right : { op: 'or', left, right };
      }
      case 'AND': {
        const nodes: SearchNode[] = [];
        for (const part of k.keys) {
          const node = walk(part);
          if (typeof node === 'string') return node;
          nodes.push(node);
        }
        return { op: 'and', nodes };
      }
      case 'MODSEQ':
        usesModseq = true;
        return { op: 'modseq', min: k.modseq };
      case 'EMAILID':
        return { op: 'emailid', id: k.id };
      case 'THREADID':
        return { op: 'threadid', id: k.id };
      case 'OLDER':
        return { op: 'older', seconds: k.seconds };
      case 'YOUNGER':
        return { op: 'younger', seconds: k.seconds };
      case 'FUZZY':
        return walk(k.arg);
    }
  };
  const node = walk(key);
  if (typeof node === 'string') return { ok: false, error: node };
  return { ok: true, node, usesModseq };
}
