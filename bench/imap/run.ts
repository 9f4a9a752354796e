/**
 * IMAP server benchmark: points at any IMAP server (host, port, credentials) and measures, in this order:
 *
 *   1. load      APPEND the generated corpus (bench/imap/corpus.ts) over --parallel (8) connections at once:
 *                messages/s and MB/s ("APPEND throughput with 8 parallel clients"). --skip-load reuses a
 *                mailbox loaded by an earlier run instead (it must hold the same corpus for the hit checks).
 *   2. SELECT    of the loaded mailbox on a fresh connection (first, then the median of --runs re-SELECTs).
 *   3. FETCH     `UID FETCH 1:* (UID FLAGS ENVELOPE)`: one warm-up, then the median of --fetch-runs, bytes.
 *   4. SEARCH    `UID SEARCH TEXT <rare>` and `UID SEARCH TEXT <common>`: one warm-up, then the median of
 *                --runs; hit counts checked against the counts the corpus generator computed.
 *   5. idle      memory per idle connection: the server's memory (sum over the process tree of --pid) is
 *                read before and after opening --idle connections that each LOGIN, SELECT INBOX and IDLE;
 *                (after - before) / connections, in KB (VmRSS as the headline, PSS alongside).
 *
 * Usage:
 *   npx tsx bench/imap/run.ts --host 127.0.0.1 --port 2143 --user bench@localhost --password bench \
 *       [--tls] [--messages 100000] [--mailbox bench] [--skip-load] [--pid PID] [--idle 1000] \
 *       [--label name] [--json results.json]
 *
 * The benchmark is bounded: every command has a timeout (--command-timeout), and the whole run is stopped
 * after --time-limit seconds. Only loopback targets are accepted unless --allow-non-loopback is given.
 * WARNING: without --skip-load the mailbox named by --mailbox is DELETEd and re-created on the target.
 */
import { lookup } from 'node:dns/promises';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImapConnection, parseExists, parseSearch, quote, type CommandResult } from './client.ts';
import { generateCorpus, DEFAULTS, type CorpusStats } from './corpus.ts';
import { treeMemory, type TreeMemory } from './procmem.ts';

export interface RunOptions {
  host: string;
  port: number;
  user: string;
  password: string;
  tls: boolean;
  messages: number;
  mailbox: string;
  skipLoad: boolean;
  /** Measure idle-connection memory before everything else. */
  idleFirst: boolean;
  pid?: number;
  /** Sum memory over the PID's process tree (default) or read the PID alone. */
  pidTree: boolean;
  idle: number;
  idleConcurrency: number;
  label: string;
  parallel: number;
  runs: number;
  fetchRuns: number;
  seed: string;
  commonWord: string;
  rareWord: string;
  hamDir?: string;
  hamFraction?: number;
  commandTimeoutMs: number;
  settleMs: number;
  allowNonLoopback: boolean;
}

interface Timing {
  firstMs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  runsMs: number[];
}

export interface SearchResult extends Timing {
  word: string;
  command: string;
  expected: number | null;
  hits: number;
  hitsMatch: boolean | null;
  responseBytes: number;
}

export interface MemorySample {
  processes: number;
  rssKB: number;
  pssKB: number | null;
  names: Record<string, number>;
}

export interface RunResults {
  label: string;
  target: { host: string; port: number; tls: boolean; user: string; mailbox: string };
  startedAt: string;
  finishedAt: string;
  durationS: number;
  node: string;
  server: { greeting: string; capabilities: string[]; literalPlus: boolean };
  corpus: CorpusStats;
  load: {
    skipped: boolean;
    parallel: number;
    messages: number;
    bytes: number;
    seconds: number | null;
    messagesPerSec: number | null;
    mbPerSec: number | null;
    latencyMs: { p50: number; p90: number; p99: number; max: number } | null;
    failures: number;
    firstFailure: string | null;
    mailboxMessages: number | null;
  };
  select: Timing & { command: string; exists: number | null };
  fetch: Timing & { command: string; bytes: number; fetchResponses: number; mbPerSec: number };
  search: { rare: SearchResult; common: SearchResult };
  idle: {
    requested: number;
    opened: number;
    failed: number;
    firstError: string | null;
    openSeconds: number;
    pid: number | null;
    memoryScope: 'process-tree' | 'pid' | null;
    before: MemorySample | null;
    after: MemorySample | null;
    perConnectionRssKB: number | null;
    perConnectionPssKB: number | null;
  };
  memory: { atStart: MemorySample | null; afterLoad: MemorySample | null };
  errors: string[];
}

const MB = 1_000_000;

function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

function timing(first: number, runs: number[]): Timing {
  return {
    firstMs: round(first),
    medianMs: round(median(runs)),
    minMs: round(Math.min(...runs)),
    maxMs: round(Math.max(...runs)),
    runsMs: runs.map(round),
  };
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === '::1' || /^::ffff:127\./i.test(address);
}

function sample(m: TreeMemory): MemorySample {
  return { processes: m.processes, rssKB: m.rssKB, pssKB: m.pssKB, names: m.names };
}

export async function runBench(o: RunOptions, log: (msg: string) => void = (m) => console.error(m)): Promise<RunResults> {
  const startedAt = new Date();
  const errors: string[] = [];

  // Only loopback targets by default: this benchmark generates a lot of traffic.
  const addrs = await lookup(o.host, { all: true });
  if (!o.allowNonLoopback && !addrs.every((a) => isLoopback(a.address))) {
    throw new Error(`refusing non-loopback target ${o.host} (${addrs.map((a) => a.address).join(', ')}); pass --allow-non-loopback to override`);
  }

  const readMem = (): MemorySample | null => {
    if (o.pid === undefined) return null;
    try {
      return sample(treeMemory(o.pid, o.pidTree));
    } catch (err) {
      errors.push(`memory: ${(err as Error).message}`);
      return null;
    }
  };
  /** Median of three readings, 500 ms apart, after a settle pause. */
  const settledMem = async (): Promise<MemorySample | null> => {
    if (o.pid === undefined) return null;
    await sleep(o.settleMs);
    const xs: MemorySample[] = [];
    for (let i = 0; i < 3; i++) {
      const m = readMem();
      if (m) xs.push(m);
      if (i < 2) await sleep(500);
    }
    if (xs.length === 0) return null;
    xs.sort((a, b) => a.rssKB - b.rssKB);
    return xs[xs.length >> 1] as MemorySample;
  };

  const open = async (): Promise<ImapConnection> => {
    const c = await ImapConnection.connect({ host: o.host, port: o.port, tls: o.tls, commandTimeoutMs: o.commandTimeoutMs });
    try {
      await c.login(o.user, o.password);
    } catch (err) {
      c.destroy();
      throw err;
    }
    return c;
  };

  const memAtStart = readMem();

  // Corpus (generated before any timing starts; also gives the expected search hits with --skip-load).
  log(`[${o.label}] generating corpus: ${o.messages} messages (seed ${o.seed}) ...`);
  const corpus = generateCorpus({
    messages: o.messages,
    seed: o.seed,
    commonWord: o.commonWord,
    rareWord: o.rareWord,
    hamDir: o.hamDir,
    hamFraction: o.hamFraction,
  });
  const cs = corpus.stats;
  log(
    `[${o.label}] corpus: ${(cs.totalBytes / MB).toFixed(1)} MB, median ${cs.medianBytes} B, ` +
      `expected hits ${cs.rareWord}=${cs.expectedRareHits} ${cs.commonWord}=${cs.expectedCommonHits}, ${cs.generationMs} ms`,
  );

  const ctl = await open();
  const server = { greeting: ctl.greeting, capabilities: [...ctl.capabilities].sort(), literalPlus: ctl.hasLiteralPlus };

  // 5. Memory per idle connection.
  const idle: RunResults['idle'] = {
    requested: o.idle,
    opened: 0,
    failed: 0,
    firstError: null,
    openSeconds: 0,
    pid: o.pid ?? null,
    memoryScope: o.pid === undefined ? null : o.pidTree ? 'process-tree' : 'pid',
    before: null,
    after: null,
    perConnectionRssKB: null,
    perConnectionPssKB: null,
  };
  const measureIdle = async (): Promise<void> => {
    if (o.idle <= 0) return;
    idle.before = await settledMem();
    log(`[${o.label}] opening ${o.idle} idle connections (LOGIN, SELECT INBOX, IDLE) ...`);
    const conns: ImapConnection[] = [];
    let nextIdle = 0;
    let idleUnsupported = false;
    const t0 = performance.now();
    const openIdle = async (): Promise<void> => {
      while (nextIdle < o.idle) {
        nextIdle++;
        let c: ImapConnection | undefined;
        try {
          c = await open();
          await c.ok('SELECT INBOX');
          // A server without IDLE still gets an open, selected connection; the report says so.
          if (c.capabilities.has('IDLE')) await c.idle();
          else idleUnsupported = true;
          conns.push(c);
        } catch (err) {
          c?.destroy();
          idle.failed++;
          idle.firstError ??= (err as Error).message;
          if (idle.failed > Math.max(20, o.idle * 0.05)) return; // the server is refusing: stop trying
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(o.idleConcurrency, o.idle) }, openIdle));
    idle.openSeconds = round((performance.now() - t0) / 1000, 3);
    idle.opened = conns.filter((c) => !c.closed).length;
    idle.failed += conns.length - idle.opened;
    log(`[${o.label}] ${idle.opened} idle connections open (${idle.failed} failed) in ${idle.openSeconds} s`);
    idle.after = await settledMem();
    const stillOpen = conns.filter((c) => !c.closed).length;
    if (stillOpen !== idle.opened) errors.push(`${idle.opened - stillOpen} idle connections were closed by the server while measuring`);
    if (idle.before && idle.after && idle.opened > 0) {
      idle.perConnectionRssKB = round((idle.after.rssKB - idle.before.rssKB) / idle.opened, 1);
      if (idle.before.pssKB !== null && idle.after.pssKB !== null) {
        idle.perConnectionPssKB = round((idle.after.pssKB - idle.before.pssKB) / idle.opened, 1);
      }
    }
    if (idleUnsupported) errors.push('server does not advertise IDLE: idle connections were only selected, not idling');
    // Close them: DONE + LOGOUT, bounded, 100 at a time.
    for (let i = 0; i < conns.length; i += 100) {
      await Promise.all(
        conns.slice(i, i + 100).map(async (c) => {
          if (c.closed) return;
          if (!idleUnsupported) c.done();
          await c.logout(3000);
        }),
      );
    }
    if (idle.firstError) errors.push(`idle connections: ${idle.failed} failed, first error: ${idle.firstError}`);
    };
  // With --idle-first the memory is read on a server that has not yet built up garbage from loading and FETCH.
  if (o.idleFirst) await measureIdle();

  // 1. Load.
  const load: RunResults['load'] = {
    skipped: o.skipLoad,
    parallel: o.parallel,
    messages: 0,
    bytes: 0,
    seconds: null,
    messagesPerSec: null,
    mbPerSec: null,
    latencyMs: null,
    failures: 0,
    firstFailure: null,
    mailboxMessages: null,
  };
  if (!o.skipLoad) {
    await ctl.command(`DELETE ${quote(o.mailbox)}`); // NO when it does not exist: fine
    await ctl.ok(`CREATE ${quote(o.mailbox)}`);
    const workers = await Promise.all(Array.from({ length: o.parallel }, () => open()));
    log(`[${o.label}] APPEND ${o.messages} messages over ${o.parallel} connections (LITERAL+: ${server.literalPlus}) ...`);
    const latencies = new Float64Array(o.messages);
    let next = 0;
    let done = 0;
    let bytes = 0;
    let abort: Error | undefined;
    const maxFailures = Math.max(10, Math.floor(o.messages * 0.001));
    const t0 = performance.now();
    const progress = setInterval(() => {
      const s = (performance.now() - t0) / 1000;
      log(`[${o.label}]   ${done}/${o.messages} appended, ${(done / s).toFixed(0)} msg/s`);
    }, 10_000);
    try {
      await Promise.all(
        workers.map(async (c) => {
          while (!abort) {
            const i = next++;
            if (i >= o.messages) return;
            const m = corpus.messages[i]!;
            let r: CommandResult;
            try {
              r = await c.append(o.mailbox, m.raw, m.flags, m.internalDate);
            } catch (err) {
              abort = err as Error;
              return;
            }
            latencies[i] = r.ms;
            done++;
            bytes += m.raw.length;
            if (r.status !== 'OK') {
              load.failures++;
              load.firstFailure ??= `${r.status} ${r.text}`;
              if (load.failures > maxFailures) abort = new Error(`too many APPEND failures (${load.failures}); first: ${load.firstFailure}`);
            }
          }
        }),
      );
    } finally {
      clearInterval(progress);
    }
    const seconds = (performance.now() - t0) / 1000;
    await Promise.all(workers.map((c) => c.logout()));
    if (abort) throw abort;
    latencies.sort();
    load.messages = done;
    load.bytes = bytes;
    load.seconds = round(seconds, 3);
    load.messagesPerSec = round(done / seconds, 1);
    load.mbPerSec = round(bytes / MB / seconds, 2);
    load.latencyMs = {
      p50: round(percentile(latencies, 0.5)),
      p90: round(percentile(latencies, 0.9)),
      p99: round(percentile(latencies, 0.99)),
      max: round(percentile(latencies, 1)),
    };
    log(`[${o.label}] loaded in ${seconds.toFixed(1)} s: ${load.messagesPerSec} msg/s, ${load.mbPerSec} MB/s, failures ${load.failures}`);
  }
  const st = await ctl.command(`STATUS ${quote(o.mailbox)} (MESSAGES)`, { collect: ['STATUS'] });
  const sm = /MESSAGES (\d+)/i.exec(st.collected.join(' '));
  load.mailboxMessages = sm ? Number(sm[1]) : null;
  if (load.mailboxMessages !== o.messages) {
    errors.push(`mailbox ${o.mailbox} holds ${load.mailboxMessages ?? '?'} messages, expected ${o.messages}`);
  }
  await ctl.logout();
  const memAfterLoad = readMem();

  // 2. SELECT on a fresh connection.
  const conn = await open();
  const selectCmd = `SELECT ${quote(o.mailbox)}`;
  const firstSel = await conn.ok(selectCmd, { collect: ['EXISTS'] });
  const exists = parseExists(firstSel.collected) ?? null;
  const selRuns: number[] = [];
  for (let i = 0; i < o.runs; i++) selRuns.push((await conn.ok(selectCmd)).ms);
  const select = { command: selectCmd, exists, ...timing(firstSel.ms, selRuns) };
  log(`[${o.label}] SELECT: first ${select.firstMs} ms, median ${select.medianMs} ms, EXISTS ${exists}`);

  // 3. FETCH envelopes.
  const fetchCmd = 'UID FETCH 1:* (UID FLAGS ENVELOPE)';
  const fetchFirst = await conn.ok(fetchCmd);
  const fetchRuns: CommandResult[] = [];
  for (let i = 0; i < o.fetchRuns; i++) fetchRuns.push(await conn.ok(fetchCmd));
  const fetchMs = fetchRuns.map((r) => r.ms);
  const fetchBytes = fetchRuns[0]?.bytes ?? fetchFirst.bytes;
  const fetchResponses = fetchRuns[0]?.untagged['FETCH'] ?? fetchFirst.untagged['FETCH'] ?? 0;
  if (fetchResponses !== o.messages) errors.push(`FETCH returned ${fetchResponses} responses, expected ${o.messages}`);
  const fetch = {
    command: fetchCmd,
    bytes: fetchBytes,
    fetchResponses,
    ...timing(fetchFirst.ms, fetchMs),
    mbPerSec: round(fetchBytes / MB / (median(fetchMs) / 1000), 2),
  };
  log(`[${o.label}] FETCH: first ${fetch.firstMs} ms, median ${fetch.medianMs} ms, ${(fetchBytes / MB).toFixed(1)} MB, ${fetchResponses} responses`);

  // 4. SEARCH TEXT.
  const search = async (word: string, expected: number | null): Promise<SearchResult> => {
    const cmd = `UID SEARCH TEXT ${quote(word)}`;
    const first = await conn.ok(cmd, { collect: ['SEARCH'] });
    const hits = parseSearch(first.collected).length;
    const runs: number[] = [];
    let bytes = first.bytes;
    for (let i = 0; i < o.runs; i++) {
      const r = await conn.ok(cmd, { collect: ['SEARCH'] });
      runs.push(r.ms);
      bytes = r.bytes;
      const h = parseSearch(r.collected).length;
      if (h !== hits) errors.push(`SEARCH ${word}: run ${i + 1} returned ${h} hits, first returned ${hits}`);
    }
    const res: SearchResult = {
      word,
      command: cmd,
      expected,
      hits,
      hitsMatch: expected === null ? null : hits === expected,
      responseBytes: bytes,
      ...timing(first.ms, runs),
    };
    if (res.hitsMatch === false) errors.push(`SEARCH TEXT ${word}: ${hits} hits, corpus says ${expected}`);
    log(`[${o.label}] SEARCH TEXT ${word}: ${hits} hits (expected ${expected}), first ${res.firstMs} ms, median ${res.medianMs} ms`);
    return res;
  };
  const rare = await search(cs.rareWord, cs.expectedRareHits);
  const common = await search(cs.commonWord, cs.expectedCommonHits);
  await conn.logout();

  if (!o.idleFirst) await measureIdle();

  const finishedAt = new Date();
  return {
    label: o.label,
    target: { host: o.host, port: o.port, tls: o.tls, user: o.user, mailbox: o.mailbox },
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationS: round((finishedAt.getTime() - startedAt.getTime()) / 1000, 1),
    node: process.version,
    server,
    corpus: cs,
    load,
    select,
    fetch,
    search: { rare, common },
    idle,
    memory: { atStart: memAtStart, afterLoad: memAfterLoad },
    errors,
  };
}

function fmt(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || Number.isNaN(x)) return 'n/a';
  return x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function formatResults(r: RunResults): string {
  const rows: Array<[string, string]> = [
    ['target', `${r.target.host}:${r.target.port}${r.target.tls ? ' (TLS)' : ''} user ${r.target.user}, mailbox ${r.target.mailbox}`],
    ['server greeting', r.server.greeting.slice(0, 70)],
    ['corpus', `${fmt(r.corpus.messages, 0)} msgs, ${fmt(r.corpus.totalBytes / MB)} MB, median ${fmt(r.corpus.medianBytes, 0)} B, seed ${r.corpus.seed}`],
    [
      `APPEND x${r.load.parallel} conns`,
      r.load.skipped
        ? 'skipped (--skip-load)'
        : `${fmt(r.load.messagesPerSec)} msg/s, ${fmt(r.load.mbPerSec, 2)} MB/s, ${fmt(r.load.seconds)} s ` +
          `(latency p50 ${fmt(r.load.latencyMs?.p50, 2)} / p99 ${fmt(r.load.latencyMs?.p99, 2)} ms, failures ${r.load.failures})`,
    ],
    ['SELECT', `first ${fmt(r.select.firstMs, 2)} ms, median ${fmt(r.select.medianMs, 2)} ms (EXISTS ${fmt(r.select.exists, 0)})`],
    [
      'UID FETCH 1:* ENVELOPE',
      `median ${fmt(r.fetch.medianMs, 1)} ms, first ${fmt(r.fetch.firstMs, 1)} ms, ${fmt(r.fetch.bytes / MB, 2)} MB, ${fmt(r.fetch.fetchResponses, 0)} responses`,
    ],
  ];
  for (const s of [r.search.rare, r.search.common]) {
    rows.push([
      `SEARCH TEXT ${s.word}`,
      `median ${fmt(s.medianMs, 2)} ms, first ${fmt(s.firstMs, 2)} ms, ${fmt(s.hits, 0)} hits` +
        (s.expected !== null ? ` (expected ${fmt(s.expected, 0)}${s.hitsMatch ? '' : ' MISMATCH'})` : ''),
    ]);
  }
  if (r.idle.requested > 0) {
    rows.push([
      `idle conns (${fmt(r.idle.opened, 0)}/${fmt(r.idle.requested, 0)})`,
      r.idle.perConnectionRssKB === null
        ? `memory not measured (give --pid), opened in ${fmt(r.idle.openSeconds, 2)} s`
        : `${fmt(r.idle.perConnectionRssKB)} KB RSS/conn, ${fmt(r.idle.perConnectionPssKB)} KB PSS/conn ` +
          `(${r.idle.memoryScope}: ${fmt(r.idle.before?.rssKB, 0)} -> ${fmt(r.idle.after?.rssKB, 0)} KB RSS, ` +
          `${fmt(r.idle.before?.processes, 0)} -> ${fmt(r.idle.after?.processes, 0)} procs)`,
    ]);
  }
  const w = Math.max(...rows.map(([k]) => k.length));
  const lines = [`== IMAP benchmark: ${r.label} (${fmt(r.durationS)} s) ==`, ...rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`)];
  if (r.errors.length) lines.push('', 'problems:', ...r.errors.map((e) => `  - ${e}`));
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------

export const USAGE = `usage: tsx bench/imap/run.ts --port PORT [options]
  --host H              server host (default 127.0.0.1; loopback only unless --allow-non-loopback)
  --port P              server port (required)
  --user U              login user (default bench)
  --password P          login password (default bench)
  --tls                 implicit TLS, certificate NOT verified (benchmark only)
  --messages N          corpus size (default ${DEFAULTS.messages})
  --mailbox NAME        mailbox to load and measure (default bench; DELETEd and re-created unless --skip-load)
  --skip-load           reuse an already loaded mailbox (same --messages/--seed)
  --pid PID             server PID for memory measurement (summed over its process tree)
  --pid-only            read memory of PID alone, not its process tree
  --idle N              idle connections for the memory figure (default 1000; 0 skips)
  --idle-concurrency N  connections opened at once (default 25)
  --idle-first          measure idle memory first, before load/FETCH garbage exists
  --parallel N          APPEND connections (default 8)
  --runs N              timed runs for SELECT/SEARCH after the first (default 5)
  --fetch-runs N        timed FETCH runs after the first (default 3)
  --seed S              corpus seed (default ${DEFAULTS.seed})
  --common-word W       (default ${DEFAULTS.commonWord})   --rare-word W (default ${DEFAULTS.rareWord})
  --ham-dir DIR         mix in plain bodies of real messages from DIR (read only), --ham-fraction F (default 0.1)
  --label NAME          name in the report (default host:port)
  --json PATH           write results as JSON to PATH
  --command-timeout S   per-command timeout in seconds (default 600)
  --settle-ms MS        pause before each memory reading (default 2000)
  --time-limit S        abort the whole run after S seconds (default 3600)`;

function parseCli(argv: string[]): { opts: RunOptions; json?: string; timeLimitS: number } {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string' },
      user: { type: 'string', default: 'bench' },
      password: { type: 'string', default: 'bench' },
      tls: { type: 'boolean', default: false },
      messages: { type: 'string', default: String(DEFAULTS.messages) },
      mailbox: { type: 'string', default: 'bench' },
      'skip-load': { type: 'boolean', default: false },
      pid: { type: 'string' },
      'pid-only': { type: 'boolean', default: false },
      idle: { type: 'string', default: '1000' },
      'idle-first': { type: 'boolean', default: false },
      'idle-concurrency': { type: 'string', default: '25' },
      parallel: { type: 'string', default: '8' },
      runs: { type: 'string', default: '5' },
      'fetch-runs': { type: 'string', default: '3' },
      seed: { type: 'string', default: DEFAULTS.seed },
      'common-word': { type: 'string', default: DEFAULTS.commonWord },
      'rare-word': { type: 'string', default: DEFAULTS.rareWord },
      'ham-dir': { type: 'string' },
      'ham-fraction': { type: 'string' },
      label: { type: 'string' },
      json: { type: 'string' },
      'command-timeout': { type: 'string', default: '600' },
      'settle-ms': { type: 'string', default: '2000' },
      'time-limit': { type: 'string', default: '3600' },
      'allow-non-loopback': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const int = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min} (got ${v})`);
    return n;
  };
  if (!values.port) throw new Error(`--port is required\n${USAGE}`);
  const port = int('port', values.port, 1);
  return {
    opts: {
      host: values.host,
      port,
      user: values.user,
      password: values.password,
      tls: values.tls,
      messages: int('messages', values.messages, 1),
      mailbox: values.mailbox,
      skipLoad: values['skip-load'],
      idleFirst: values['idle-first'] ?? false,
      pid: values.pid !== undefined ? int('pid', values.pid, 1) : undefined,
      pidTree: !values['pid-only'],
      idle: int('idle', values.idle, 0),
      idleConcurrency: int('idle-concurrency', values['idle-concurrency'], 1),
      label: values.label ?? `${values.host}:${port}`,
      parallel: int('parallel', values.parallel, 1),
      runs: int('runs', values.runs, 1),
      fetchRuns: int('fetch-runs', values['fetch-runs'], 1),
      seed: values.seed,
      commonWord: values['common-word'],
      rareWord: values['rare-word'],
      hamDir: values['ham-dir'],
      hamFraction: values['ham-fraction'] !== undefined ? Number(values['ham-fraction']) : undefined,
      commandTimeoutMs: int('command-timeout', values['command-timeout'], 1) * 1000,
      settleMs: int('settle-ms', values['settle-ms'], 0),
      allowNonLoopback: values['allow-non-loopback'],
    },
    json: values.json,
    timeLimitS: int('time-limit', values['time-limit'], 1),
  };
}

async function main(): Promise<void> {
  const { opts, json, timeLimitS } = parseCli(process.argv.slice(2));
  const limit = setTimeout(() => {
    console.error(`[${opts.label}] time limit of ${timeLimitS} s reached: aborting`);
    process.exit(3);
  }, timeLimitS * 1000);
  limit.unref();
  const results = await runBench(opts);
  console.log(formatResults(results));
  if (json) {
    const path = resolve(json);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify(results, null, 2) + '\n');
    console.error(`[${opts.label}] results written to ${path}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      console.error(`received ${sig}: aborting`);
      process.exit(130);
    });
  }
  main().then(
    () => process.exit(0),
    (err: Error) => {
      console.error(`benchmark failed: ${err.message}`);
      process.exit(1);
    },
  );
}
