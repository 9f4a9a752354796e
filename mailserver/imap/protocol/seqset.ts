/**
 * Sequence sets: parsing, and resolving them against a mailbox without materialising every number.
 *
 * A parsed set keeps "*" symbolic because its value depends on the mailbox at the time the command runs.
 * `resolveSet` turns it into sorted, merged, disjoint intervals clamped to 1..max; membership is then a
 * binary search and "1:*" over 100,000 messages is one interval, not 100,000 numbers.
 */
import type { SeqRange, SequenceSet } from './types.ts';

/** Sorted, disjoint, non-adjacent closed intervals. */
export type ResolvedSet = ReadonlyArray<readonly [number, number]>;

const MAX_NZ = 4294967295;

function parseNz(text: string): number | null {
  if (text === '*') return null;
  if (!/^[1-9][0-9]{0,9}$/.test(text)) return -1;
  const n = Number(text);
  return n <= MAX_NZ ? n : -1;
}

/**
 * Parses `sequence-set` (RFC 9051) or "$" (RFC 5182). Numbers must be non-zero, without leading zeros,
 * and fit 32 bits. Returns null when the text is not a sequence set.
 */
export function parseSequenceSet(text: string): SequenceSet | null {
  if (text === '$') return '$';
  if (text.length === 0) return null;
  const out: SeqRange[] = [];
  for (const item of text.split(',')) {
    const colon = item.indexOf(':');
    const a = colon < 0 ? item : item.slice(0, colon);
    const b = colon < 0 ? item : item.slice(colon + 1);
    const from = parseNz(a);
    const to = parseNz(b);
    if (from === -1 || to === -1) return null;
    out.push({ from: from ?? '*', to: to ?? '*' });
  }
  return out;
}

/** The set written back in IMAP syntax, as given (not normalised). */
export function formatSequenceSet(set: SequenceSet): string {
  if (set === '$') return '$';
  return set.map((r) => (r.from === r.to ? String(r.from) : `${r.from}:${r.to}`)).join(',');
}

/**
 * Resolves "*" to `max` (the highest message number or UID in the mailbox), orders each range, clamps to
 * 1..max and merges. An empty mailbox (max 0) gives an empty set.
 */
export function resolveSet(set: readonly SeqRange[], max: number): ResolvedSet {
  if (max < 1) return [];
  const ranges: Array<[number, number]> = [];
  for (const r of set) {
    const a = r.from === '*' ? max : r.from;
    const b = r.to === '*' ? max : r.to;
    let lo = Math.min(a, b);
    const hi = Math.min(Math.max(a, b), max);
    lo = Math.max(lo, 1);
    if (lo <= hi) ranges.push([lo, hi]);
  }
  ranges.sort((x, y) => x[0] - y[0]);
  const merged: Array<[number, number]> = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last !== undefined && r[0] <= last[1] + 1) {
      if (r[1] > last[1]) last[1] = r[1];
    } else {
      merged.push([r[0], r[1]]);
    }
  }
  return merged;
}

/** Whether n is in the resolved set: O(log ranges). */
export function setHas(set: ResolvedSet, n: number): boolean {
  let lo = 0;
  let hi = set.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const r = set[mid];
    if (r === undefined) return false;
    if (n < r[0]) hi = mid - 1;
    else if (n > r[1]) lo = mid + 1;
    else return true;
  }
  return false;
}

/** How many numbers the resolved set holds. */
export function setSize(set: ResolvedSet): number {
  let n = 0;
  for (const r of set) n += r[1] - r[0] + 1;
  return n;
}

/** The numbers of a resolved set in ascending order, lazily. */
export function* iterateSet(set: ResolvedSet): Generator<number> {
  for (const r of set) for (let n = r[0]; n <= r[1]; n++) yield n;
}

/** The numbers as an array; for callers that really need one (small sets). */
export function expandSet(set: readonly SeqRange[], max: number): number[] {
  return Array.from(iterateSet(resolveSet(set, max)));
}

/** First index i in sorted `values` with values[i] >= n. */
function lowerBound(values: ArrayLike<number>, n: number, from: number): number {
  let lo = from;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((values[mid] ?? 0) < n) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Indexes into an ascending array (such as a mailbox's UIDs) of the values the set contains, in order.
 * Costs O(ranges · log values + result), so a sparse UID list is never scanned number by number.
 */
export function selectSorted(set: ResolvedSet, sortedValues: ArrayLike<number>): number[] {
  const out: number[] = [];
  let start = 0;
  for (const r of set) {
    start = lowerBound(sortedValues, r[0], start);
    while (start < sortedValues.length && (sortedValues[start] ?? 0) <= r[1]) out.push(start++);
    if (start >= sortedValues.length) break;
  }
  return out;
}

/** The largest explicit number in the set ("*" ignored), to reject message numbers beyond the mailbox. */
export function maxExplicit(set: readonly SeqRange[]): number {
  let max = 0;
  for (const r of set) {
    if (r.from !== '*' && r.from > max) max = r.from;
    if (r.to !== '*' && r.to > max) max = r.to;
  }
  return max;
}

/** Whether the set mentions "*". */
export function usesStar(set: readonly SeqRange[]): boolean {
  return set.some((r) => r.from === '*' || r.to === '*');
}
