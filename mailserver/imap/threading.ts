import type { SortKeys } from '../store/types.ts';
import type { SortCriterion } from './protocol/types.ts';

/**
 * SORT (RFC 5256, RFC 5957) and THREAD (ORDEREDSUBJECT, REFERENCES) over the keys stored at delivery.
 * Pure functions: messages in, ordered UIDs or thread trees out.
 */

/** The sent date, or the internal date when the Date header is missing or broken (RFC 5256 §2.2). */
const sentOrArrival = (m: SortKeys): number => m.sentDate ?? m.internalDate;

/** i;ascii-casemap: ASCII letters compare case-insensitively, everything else by code unit. */
function caseMap(a: string, b: string): number {
  const x = a.replace(/[a-z]/g, (c) => c.toUpperCase());
  const y = b.replace(/[a-z]/g, (c) => c.toUpperCase());
  return x < y ? -1 : x > y ? 1 : 0;
}

function compareBy(key: SortCriterion['key'], a: SortKeys, b: SortKeys): number {
  switch (key) {
    case 'ARRIVAL':
      return a.internalDate - b.internalDate;
    case 'DATE':
      return sentOrArrival(a) - sentOrArrival(b);
    case 'SIZE':
      return a.size - b.size;
    case 'SUBJECT':
      return caseMap(a.baseSubject, b.baseSubject);
    case 'FROM':
      return caseMap(a.sortFrom, b.sortFrom);
    case 'TO':
      return caseMap(a.sortTo, b.sortTo);
    case 'CC':
      return caseMap(a.sortCc, b.sortCc);
    case 'DISPLAYFROM':
      return caseMap(a.displayFrom, b.displayFrom);
    case 'DISPLAYTO':
      return caseMap(a.displayTo, b.displayTo);
  }
}

/** UIDs in the requested order; ties fall back to UID (= sequence) order, as RFC 5256 requires. */
export function sortMessages(messages: readonly SortKeys[], criteria: readonly SortCriterion[]): number[] {
  return [...messages]
    .sort((a, b) => {
      for (const c of criteria) {
        const d = compareBy(c.key, a, b);
        if (d !== 0) return c.reverse ? -d : d;
      }
      return a.uid - b.uid;
    })
    .map((m) => m.uid);
}

/** A thread: a message (or a missing parent, uid null) and its replies. */
export interface ThreadNode {
  uid: number | null;
  children: ThreadNode[];
}

const byDate = (a: SortKeys, b: SortKeys) => sentOrArrival(a) - sentOrArrival(b) || a.uid - b.uid;

/** ORDEREDSUBJECT: one thread per base subject, the earliest message the parent of the rest. */
export function threadOrderedSubject(messages: readonly SortKeys[]): ThreadNode[] {
  const groups = new Map<string, SortKeys[]>();
  for (const m of [...messages].sort(byDate)) {
    const key = m.baseSubject.toUpperCase();
    const group = groups.get(key);
    if (group) group.push(m);
    else groups.set(key, [m]);
  }
  return [...groups.values()].map(([first, ...rest]) => ({
    uid: first!.uid,
    children: rest.map((m) => ({ uid: m.uid, children: [] })),
  }));
}

interface Container {
  id: string;
  message: SortKeys | null;
  parent: Container | null;
  children: Container[];
}

function isAncestor(candidate: Container, of: Container): boolean {
  for (let node: Container | null = of; node; node = node.parent) if (node === candidate) return true;
  return false;
}

function link(parent: Container, child: Container): void {
  if (child.parent === parent || isAncestor(child, parent)) return;
  if (child.parent) child.parent.children = child.parent.children.filter((c) => c !== child);
  child.parent = parent;
  parent.children.push(child);
}

/** The earliest date in a subtree, which orders threads and siblings (RFC 5256 step 4). */
function treeDate(c: Container): number {
  let date = c.message ? sentOrArrival(c.message) : Number.POSITIVE_INFINITY;
  for (const child of c.children) date = Math.min(date, treeDate(child));
  return date;
}

function treeUid(c: Container): number {
  if (c.message) return c.message.uid;
  return Math.min(...c.children.map(treeUid));
}

/** Drop empty containers, promoting their children (RFC 5256 REFERENCES step 3). */
function prune(nodes: Container[], atRoot: boolean): Container[] {
  const out: Container[] = [];
  for (const node of nodes) {
    node.children = prune(node.children, false);
    if (node.message) out.push(node);
    else if (node.children.length === 0) continue;
    else if (!atRoot || node.children.length === 1) {
      for (const child of node.children) child.parent = node.parent;
      out.push(...node.children);
    } else out.push(node);
  }
  return out;
}

function toThread(c: Container): ThreadNode {
  const children = [...c.children].sort((a, b) => treeDate(a) - treeDate(b) || treeUid(a) - treeUid(b));
  return { uid: c.message ? c.message.uid : null, children: children.map(toThread) };
}

/** REFERENCES: the References/In-Reply-To chains (JWZ-style), then same-subject roots merged, sorted by date. */
export function threadReferences(messages: readonly SortKeys[]): ThreadNode[] {
  const containers = new Map<string, Container>();
  const get = (id: string): Container => {
    let c = containers.get(id);
    if (!c) containers.set(id, (c = { id, message: null, parent: null, children: [] }));
    return c;
  };
  for (const m of [...messages].sort((a, b) => a.uid - b.uid)) {
    // A duplicate or missing Message-ID gets a unique one, so it still forms its own node.
    let self = m.messageId ? get(m.messageId) : null;
    if (!self || self.message) self = get(`\0uid:${m.uid}`);
    self.message = m;
    let previous: Container | null = null;
    for (const ref of m.references) {
      const c = get(ref);
      if (previous && !c.parent) link(previous, c);
      previous = c;
    }
    if (previous && previous !== self) link(previous, self);
  }
  let roots = prune([...containers.values()].filter((c) => !c.parent), true);
  roots = mergeBySubject(roots);
  return roots.sort((a, b) => treeDate(a) - treeDate(b) || treeUid(a) - treeUid(b)).map(toThread);
}

function subjectOf(c: Container): string | null {
  const m = c.message ?? c.children.find((x) => x.message)?.message ?? null;
  return m && m.baseSubject ? m.baseSubject.toUpperCase() : null;
}

/** RFC 5256 step 5, simplified: roots sharing a base subject join the earliest such root. */
function mergeBySubject(roots: Container[]): Container[] {
  const first = new Map<string, Container>();
  const out: Container[] = [];
  for (const root of [...roots].sort((a, b) => treeDate(a) - treeDate(b))) {
    const subject = subjectOf(root);
    const existing = subject ? first.get(subject) : undefined;
    if (!existing) {
      if (subject) first.set(subject, root);
      out.push(root);
    } else if (!existing.message) link(existing, root);
    else if (!root.message) {
      for (const child of root.children) link(existing, child);
    } else link(existing, root);
  }
  return out;
}

/** RFC 5256 wire form: "(1 2 (3)(4 5))". */
export function formatThreads(threads: readonly ThreadNode[], toNumber: (uid: number) => number): string {
  const render = (node: ThreadNode): string => {
    const head = node.uid === null ? '' : String(toNumber(node.uid));
    if (node.children.length === 0) return head;
    if (node.children.length === 1) return [head, render(node.children[0]!)].filter(Boolean).join(' ');
    const kids = node.children.map((c) => `(${render(c)})`).join('');
    return head ? `${head} ${kids}` : kids;
  };
  return threads.map((t) => `(${render(t)})`).join('');
}
