/**
 * Memory of a server process tree, read from /proc (Linux only).
 *
 * - VmRSS (from /proc/PID/status): resident set per process. Summing it over several processes counts the
 *   pages they share (shared libraries, forked copy-on-write pages) once per process, so for a forking
 *   server such as Dovecot (one `imap` process per connection) the sum overstates what the machine really
 *   spends. It is still the figure the benchmark targets are phrased in.
 * - Pss (from /proc/PID/smaps_rollup): proportional set size; shared pages are divided among the processes
 *   sharing them, so the sum over a tree is the fair "memory this server costs" figure. Reported alongside.
 *
 * The tree is the given PID plus all its descendants (found through the PPid of every /proc entry), so it
 * covers Dovecot's master with its login/imap/auth/... children as well as a Node server started through a
 * wrapper such as `tsx` (which runs the real server in a child process).
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface TreeMemory {
  pids: number[];
  processes: number;
  rssKB: number;
  pssKB: number | null;
  /** Process names in the tree with their counts, e.g. { dovecot: 1, imap: 1000, 'imap-login': 3 }. */
  names: Record<string, number>;
}

function readStatus(pid: number): { ppid: number; rssKB: number; name: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const ppid = Number(/^PPid:\s+(\d+)/m.exec(text)?.[1] ?? -1);
  const rssKB = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(text)?.[1] ?? 0);
  const name = /^Name:\s+(.*)$/m.exec(text)?.[1]?.trim() ?? '?';
  return { ppid, rssKB, name };
}

function readPss(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const m = /^Pss:\s+(\d+)\s+kB/m.exec(text);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** PID plus all descendants. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const st = readStatus(pid);
    if (!st) continue;
    const list = children.get(st.ppid);
    if (list) list.push(pid);
    else children.set(st.ppid, [pid]);
  }
  const out: number[] = [];
  const stack = [root];
  const seen = new Set<number>();
  while (stack.length) {
    const pid = stack.pop() as number;
    if (seen.has(pid)) continue;
    seen.add(pid);
    out.push(pid);
    for (const c of children.get(pid) ?? []) stack.push(c);
  }
  return out;
}

/** Memory of `root` alone (tree=false) or of its whole process tree (tree=true). */
export function treeMemory(root: number, tree = true): TreeMemory {
  const pids = tree ? processTree(root) : [root];
  let rss = 0;
  let pss = 0;
  let pssOk = true;
  let processes = 0;
  const names: Record<string, number> = {};
  const alive: number[] = [];
  for (const pid of pids) {
    const st = readStatus(pid);
    if (!st) continue;
    processes++;
    alive.push(pid);
    rss += st.rssKB;
    names[st.name] = (names[st.name] ?? 0) + 1;
    const p = readPss(pid);
    if (p === undefined) pssOk = false;
    else pss += p;
  }
  if (processes === 0) throw new Error(`process ${root} not found (is --pid right, and is the server on this machine?)`);
  return { pids: alive, processes, rssKB: rss, pssKB: pssOk ? pss : null, names };
}
