/**
 * RFC 5256 §2.1 base subject, the key of SORT SUBJECT and THREAD ORDEREDSUBJECT.
 * Written as explicit loops rather than regular expressions: the grammar's repetitions invite backtracking
 * that turns quadratic on hostile subjects.
 */

/** Subjects longer than this are cut before the algorithm runs; it bounds the repeated leader scans. */
const MAX_SUBJECT = 2000;

/** subject: the decoded Subject header. */
export function baseSubject(subject: string): string {
  // Step 1: tabs and line breaks become spaces, runs of spaces become one.
  let s = subject.slice(0, MAX_SUBJECT).replace(/[\t\r\n ]+/g, ' ');
  for (;;) {
    s = stripTrailers(s); // step 2
    s = stripLeadersAndBlobs(s); // steps 3–5
    // Step 6: "[fwd: … ]" wraps the whole subject.
    if (s.length >= 6 && s.slice(0, 5).toLowerCase() === '[fwd:' && s.endsWith(']')) {
      s = s.slice(5, -1);
      continue;
    }
    return s;
  }
}

/** subj-trailer = "(fwd)" / WSP, removed repeatedly from the end. */
function stripTrailers(s: string): string {
  let end = s.length;
  for (;;) {
    if (end > 0 && isWsp(s.charCodeAt(end - 1))) end--;
    else if (end >= 5 && s.slice(end - 5, end).toLowerCase() === '(fwd)') end -= 5;
    else return s.slice(0, end);
  }
}

function stripLeadersAndBlobs(input: string): string {
  let s = input;
  for (;;) {
    const afterLeader = matchLeader(s);
    if (afterLeader !== -1) {
      s = s.slice(afterLeader);
      continue;
    }
    // Step 4: a leading blob goes if something other than whitespace remains after it.
    const afterBlob = matchBlob(s, 0);
    if (afterBlob !== -1 && hasNonWsp(s, afterBlob)) {
      s = s.slice(afterBlob);
      continue;
    }
    return s;
  }
}

/**
 * subj-leader = (*subj-blob subj-refwd) / WSP
 * subj-refwd  = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"
 * Returns the offset just past the leader, or -1.
 */
function matchLeader(s: string): number {
  if (s.length > 0 && isWsp(s.charCodeAt(0))) return skipWsp(s, 0);
  let i = 0;
  for (let next = matchBlob(s, i); next !== -1; next = matchBlob(s, i)) i = next;
  const lower = s.slice(i, i + 3).toLowerCase();
  if (lower.startsWith('re')) i += 2;
  else if (lower === 'fwd') i += 3;
  else if (lower.startsWith('fw')) i += 2;
  else return -1;
  i = skipWsp(s, i);
  const afterBlob = matchBlob(s, i);
  if (afterBlob !== -1) i = afterBlob;
  return s[i] === ':' ? i + 1 : -1;
}

/** subj-blob = "[" *BLOBCHAR "]" *WSP, BLOBCHAR being anything but brackets. Returns the end offset, or -1. */
function matchBlob(s: string, at: number): number {
  if (s[at] !== '[') return -1;
  for (let i = at + 1; i < s.length; i++) {
    const c = s[i];
    if (c === '[') return -1;
    if (c === ']') return skipWsp(s, i + 1);
  }
  return -1;
}

function skipWsp(s: string, at: number): number {
  let i = at;
  while (i < s.length && isWsp(s.charCodeAt(i))) i++;
  return i;
}

function hasNonWsp(s: string, at: number): boolean {
  return skipWsp(s, at) < s.length;
}

function isWsp(c: number): boolean {
  return c === 0x20 || c === 0x09;
}
