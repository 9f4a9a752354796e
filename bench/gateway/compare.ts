/**
 * `npm run bench:gateway`: the webmail gateway's message list against a large folder, measured against the
 * same work done directly over IMAP on the same server in the same run. See bench/gateway/README.md.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULTS as CORPUS_DEFAULTS } from '../imap/corpus.ts';
import { loadFolder, type ImapTarget, type LoadResult } from './load.ts';
import {
  gatewayFirstPageRun,
  gatewayThroughput,
  imapFirstPageRun,
  imapThroughput,
  primeServer,
  summarizeRuns,
  type FirstPageResult,
  type FirstPageRun,
  type GatewayTarget,
  type PageCheck,
  type ThroughputResult,
} from './phases.ts';
import { ensureUser, startBenchServer, type BenchServer } from './server.ts';
import { cpuPressure, mib, ms, num, processCpuMs, processMemory, ratio, resetPeak, round, table, type ProcessMemory } from './stats.ts';
import { setTimeout as sleep } from 'node:timers/promises';

export const USAGE = `usage: npm run bench:gateway -- [options]

Starts a Mailwerk (mail server + webmail gateway, one process), loads a folder with a generated corpus over
IMAPS, then measures the gateway's message list (GET /api/folders/F/messages?limit=50) and the same pages
fetched directly over IMAP with imapflow, in the same run. A benchmark: never part of npm test.

options:
  --messages N       messages in the folder (default 100000; the corpus of bench/imap/corpus.ts)
  --seed S           corpus seed (default ${CORPUS_DEFAULTS.seed})
  --folder NAME      folder to load and list (default INBOX)
  --parallel P       IMAPS connections for loading (default 8)
  --runs R           fresh sessions for the time-to-first-page measurement (default 20)
  --warm W           repeats of the first page on each of those sessions (default 5)
  --sessions C       concurrent sessions / IMAP connections in the throughput phase (default 50)
  --duration D       seconds of the throughput phase, for each side (default 20)
  --depth K          pages followed via nextCursor after each first page in the throughput loop (default 2)
  --limit L          page size (default 50)
  --target-ms T      first-page target for the cold p95 (default 300)
  --data DIR         keep the server's data directory in DIR and reuse it: a folder that already holds
                     exactly N messages is not loaded again (alias --keep)
  --skip-imap        measure only the gateway (no peer, no ratios)
  --settle S         seconds to wait after loading before measuring (default 10; lets delivery work finish)
  --json FILE        also write all results as JSON
  --help             this text
`;

interface Options {
  messages: number;
  seed: string;
  folder: string;
  parallel: number;
  runs: number;
  warm: number;
  sessions: number;
  duration: number;
  depth: number;
  limit: number;
  targetMs: number;
  data: string | undefined;
  skipImap: boolean;
  settle: number;
  json: string | undefined;
}

function parseOptions(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      messages: { type: 'string', default: '100000' },
      seed: { type: 'string', default: CORPUS_DEFAULTS.seed },
      folder: { type: 'string', default: 'INBOX' },
      parallel: { type: 'string', default: '8' },
      runs: { type: 'string', default: '20' },
      warm: { type: 'string', default: '5' },
      sessions: { type: 'string', default: '50' },
      duration: { type: 'string', default: '20' },
      depth: { type: 'string', default: '2' },
      limit: { type: 'string', default: '50' },
      'target-ms': { type: 'string', default: '300' },
      data: { type: 'string' },
      keep: { type: 'string' },
      'skip-imap': { type: 'boolean', default: false },
      settle: { type: 'string', default: '10' },
      json: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return null;
  const int = (name: string, raw: string, min: number): number => {
    const n = Number(raw.replace(/_/g, ''));
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min} (got ${raw})`);
    return n;
  };
  const limit = int('limit', values.limit, 1);
  if (limit > 200) throw new Error('--limit must be at most 200 (the API refuses more)');
  return {
    messages: int('messages', values.messages, 1),
    seed: values.seed,
    folder: values.folder,
    parallel: int('parallel', values.parallel, 1),
    runs: int('runs', values.runs, 1),
    warm: int('warm', values.warm, 1),
    sessions: int('sessions', values.sessions, 1),
    duration: int('duration', values.duration, 1),
    depth: int('depth', values.depth, 0),
    limit,
    targetMs: int('target-ms', values['target-ms'], 1),
    data: values.data ?? values.keep,
    skipImap: values['skip-imap'],
    settle: int('settle', values.settle, 0),
    json: values.json,
  };
}

interface MemoryPhase {
  /** Sessions not yet logged in. */
  before: ProcessMemory | null;
  /** All sessions logged in and warmed up, right before the clock. */
  sessionsOpen: ProcessMemory | null;
  /** Right after the clock stops (VmHWM: the peak since `sessionsOpen` when the reset worked). */
  after: ProcessMemory | null;
  /** Sessions logged out, a few seconds later. */
  closed: ProcessMemory | null;
  peakReset: boolean;
}

/** CPU spent during the timed run (between the two clock readings), from /proc and process.cpuUsage(). */
interface CpuPhase {
  /** The mailwerk process (IMAP server and gateway). */
  serverMs: number | null;
  /** This benchmark process (HTTP client, or imapflow parsing for the direct IMAP peer). */
  clientMs: number;
  wallMs: number;
  serverPerRequestMs: number | null;
  clientPerRequestMs: number | null;
  /** serverMs / wallMs: 1.0 = one core busy all the time. */
  serverCores: number | null;
  clientCores: number;
}

interface Results {
  startedAt: string;
  machine: { cpus: number; cpuModel: string; memGiB: number; loadavgAtStart: number[]; cpuPressureAtStart: number | null; node: string };
  options: Options;
  server: { pid: number; dataDir: string; kept: boolean };
  load: LoadResult;
  memoryAfterLoad: ProcessMemory | null;
  firstPage: { gateway: FirstPageResult; imap: FirstPageResult | null };
  throughput: { gateway: ThroughputResult; imap: ThroughputResult | null };
  memory: { gateway: MemoryPhase; imap: MemoryPhase | null };
  cpu: { gateway: CpuPhase; imap: CpuPhase | null };
  /** The first SELECT + page after the server started (un-timed warm-up before the first-page runs). */
  serverPrimeMs: number;
  target: { ms: number; coldP95: number; coldMedian: number; met: boolean };
  loadavgAtEnd: number[];
  /** /proc/pressure/cpu some avg60 when the measurements (not the load) started and ended. */
  cpuPressure: { measureStart: number | null; end: number | null };
}

const log = (m: string): void => console.error(m);

async function measuredPhase(
  pid: number,
  run: (hooks: { beforeRun: () => void; afterRun: () => void }) => Promise<ThroughputResult>,
): Promise<{ result: ThroughputResult; memory: MemoryPhase; cpu: CpuPhase }> {
  const memory: MemoryPhase = { before: processMemory(pid), sessionsOpen: null, after: null, closed: null, peakReset: false };
  let server0: number | null = null;
  let server1: number | null = null;
  let client0 = process.cpuUsage();
  let client1 = process.cpuUsage(client0);
  let wall0 = 0;
  let wall1 = 0;
  const result = await run({
    beforeRun: () => {
      memory.sessionsOpen = processMemory(pid);
      memory.peakReset = resetPeak(pid);
      server0 = processCpuMs(pid);
      client0 = process.cpuUsage();
      wall0 = performance.now();
    },
    afterRun: () => {
      wall1 = performance.now();
      server1 = processCpuMs(pid);
      client1 = process.cpuUsage(client0);
      memory.after = processMemory(pid);
    },
  });
  await sleep(3000);
  memory.closed = processMemory(pid);
  const serverMs = server0 !== null && server1 !== null ? server1 - server0 : null;
  const clientMs = (client1.user + client1.system) / 1000;
  const wallMs = wall1 - wall0;
  const n = result.requests || NaN;
  const cpu: CpuPhase = {
    serverMs: serverMs === null ? null : round(serverMs, 0),
    clientMs: round(clientMs, 0),
    wallMs: round(wallMs, 0),
    serverPerRequestMs: serverMs === null ? null : round(serverMs / n, 2),
    clientPerRequestMs: round(clientMs / n, 2),
    serverCores: serverMs === null ? null : round(serverMs / wallMs, 2),
    clientCores: round(clientMs / wallMs, 2),
  };
  return { result, memory, cpu };
}

function formatReport(r: Results): string {
  const o = r.options;
  const g = r.firstPage.gateway;
  const i = r.firstPage.imap;
  const gt = r.throughput.gateway;
  const it = r.throughput.imap;
  const lines: string[] = [];
  lines.push('');
  lines.push(
    `Gateway message list vs direct IMAP — ${num(o.messages)} messages in ${o.folder}, pages of ${o.limit}, ` +
      `${r.machine.cpus} CPUs, load average at start ${r.machine.loadavgAtStart.map((x) => x.toFixed(2)).join(' ')}, end ${r.loadavgAtEnd.map((x) => x.toFixed(2)).join(' ')}`,
  );
  if (r.cpuPressure.measureStart !== null) {
    lines.push(
      `CPU pressure (share of the last minute in which a runnable task waited for a CPU, /proc/pressure/cpu some avg60): ` +
        `${r.cpuPressure.measureStart.toFixed(0)}% when measuring began, ${r.cpuPressure.end?.toFixed(0)}% at the end — ` +
        `${Math.max(r.cpuPressure.measureStart, r.cpuPressure.end ?? 0) > 40 ? 'other work competed for the CPUs: noisy' : 'little competition'}`,
    );
  }
  const l = r.load;
  lines.push(
    l.skipped
      ? `Load: skipped (folder already held ${num(l.messagesBefore)} messages; data dir ${r.server.dataDir})`
      : `Load: ${num(l.appended)} messages, ${(l.bytes / 1e6).toFixed(0)} MB over ${l.parallel} IMAPS connections in ${l.seconds} s = ` +
          `${num(l.messagesPerSec)} msg/s (${l.mbPerSec} MB/s), APPEND p50/p99 ${ms(l.appendLatencyMs?.median)}/${ms(l.appendLatencyMs?.p99)}; ` +
          `${num(l.unseenAfter)} unseen`,
  );
  lines.push('');
  lines.push(
    `Time to first page (${g.runs} fresh sessions per side, gateway and IMAP runs interleaved, ${g.warmPerRun} warm repeats each; ` +
      `un-timed first SELECT + page after server start: ${ms(r.serverPrimeMs)}):`,
  );
  const row = (name: string, a: number | undefined, b: number | undefined): string[] => [name, ms(a), ms(b), ratio(a, b)];
  lines.push(
    table(
      ['metric', 'gateway (HTTP)', 'direct IMAP', 'ratio'],
      [
        row('cold first page, median', g.coldMs.median, i?.coldMs.median),
        row('cold first page, p95', g.coldMs.p95, i?.coldMs.p95),
        row('cold first page, max', g.coldMs.max, i?.coldMs.max),
        row('warm first page, median', g.warmMs.median, i?.warmMs.median),
        row('warm first page, p95', g.warmMs.p95, i?.warmMs.p95),
        row('login, median', g.loginMs.median, i?.loginMs.median),
        row('login + cold first page, median', g.coldWithLoginMs.median, i?.coldWithLoginMs.median),
        row('login + cold first page, p95', g.coldWithLoginMs.p95, i?.coldWithLoginMs.p95),
      ],
    ),
  );
  lines.push(
    '  gateway cold = the GET only, first request of a fresh session (includes the SELECT); login = POST /api/session.\n' +
      '  direct IMAP cold = SELECT + FETCH (ENVELOPE FLAGS BODYSTRUCTURE RFC822.SIZE INTERNALDATE BODY.PEEK[1]<0.1024>) of\n' +
      '  the newest 50 by sequence range; login = TCP + TLS + LOGIN (+ CAPABILITY/ENABLE/ID as imapflow does).',
  );
  const verdict = r.target.met ? 'met ✓' : 'NOT met ✗';
  lines.push(
    `Target: cold first page < ${o.targetMs} ms at p95: ${ms(r.target.coldP95)} → ${verdict} (median ${ms(r.target.coldMedian)}${r.target.coldMedian < o.targetMs ? ' < target' : ' ≥ target'})`,
  );
  lines.push('');
  lines.push(
    `Throughput, ${gt.sessions} concurrent sessions, ${o.duration} s each, loop = first page + ${o.depth} deeper page(s) (gateway: ?before=nextCursor; IMAP: next sequence range):`,
  );
  const trow = (name: string, a: number | undefined, b: number | undefined, fmt: (x: number | undefined) => string): string[] => [name, fmt(a), fmt(b), ratio(a, b)];
  const rps = (x: number | undefined) => (x === undefined ? '—' : `${num(x, 1)}/s`);
  const n0 = (x: number | undefined) => num(x);
  lines.push(
    table(
      ['metric', 'gateway (HTTP)', 'direct IMAP', 'ratio'],
      [
        trow('requests/s (pages/s)', gt.requestsPerSec, it?.requestsPerSec, rps),
        trow('requests', gt.requests, it?.requests, n0),
        trow('errors', gt.errors, it?.errors, n0),
        trow('latency p50 (all pages)', gt.latencyMs.median, it?.latencyMs.median, ms),
        trow('latency p95', gt.latencyMs.p95, it?.latencyMs.p95, ms),
        trow('latency p99', gt.latencyMs.p99, it?.latencyMs.p99, ms),
        trow('latency max', gt.latencyMs.max, it?.latencyMs.max, ms),
        trow('first page p50', gt.firstPageMs.median, it?.firstPageMs.median, ms),
        trow('first page p95', gt.firstPageMs.p95, it?.firstPageMs.p95, ms),
        trow('deeper page p50', gt.deeperPageMs.median, it?.deeperPageMs.median, ms),
        trow('deeper page p95', gt.deeperPageMs.p95, it?.deeperPageMs.p95, ms),
        trow('session setup (s)', gt.setupSeconds, it?.setupSeconds, (x) => (x === undefined ? '—' : `${x.toFixed(2)} s`)),
        trow('mailwerk CPU per page', r.cpu.gateway.serverPerRequestMs ?? undefined, r.cpu.imap?.serverPerRequestMs ?? undefined, ms),
        trow('mailwerk CPU, cores busy', r.cpu.gateway.serverCores ?? undefined, r.cpu.imap?.serverCores ?? undefined, (x) => num(x, 2)),
        trow('benchmark client CPU per page', r.cpu.gateway.clientPerRequestMs ?? undefined, r.cpu.imap?.clientPerRequestMs ?? undefined, ms),
        trow('benchmark client CPU, cores busy', r.cpu.gateway.clientCores, r.cpu.imap?.clientCores, (x) => num(x, 2)),
      ],
    ),
  );
  if (gt.firstError) lines.push(`  gateway first error: ${gt.firstError}`);
  if (it?.firstError) lines.push(`  IMAP first error: ${it.firstError}`);
  lines.push('  ratio = gateway / direct IMAP (for latency: the gateway overhead factor; for requests/s: < 1 means fewer).');
  lines.push(
    '  CPU: mailwerk = the server process (for the gateway it also runs imapflow, JSON and HTTP); client = this\n' +
      '  benchmark process (for direct IMAP it parses the responses, for the gateway only HTTP + JSON). Both share\n' +
      `  the machine's ${r.machine.cpus} cores: a side whose client is busy is partly measuring its client.`,
  );
  lines.push('');
  lines.push(`Memory of the mailwerk process (PID ${r.server.pid}; mail server and gateway share it), /proc/PID/status:`);
  const mrow = (name: string, m: MemoryPhase | null): string[] => [
    name,
    mib(m?.before?.rssKB),
    mib(m?.sessionsOpen?.rssKB),
    mib(m?.after?.rssKB),
    m?.peakReset ? mib(m?.after?.hwmKB) : `${mib(m?.after?.hwmKB)} (since start)`,
    mib(m?.closed?.rssKB),
  ];
  lines.push(
    `  before the first-page runs: VmRSS ${mib(r.memoryAfterLoad?.rssKB)}, VmHWM ${mib(r.memoryAfterLoad?.hwmKB)} (peak since start${r.load.skipped ? '' : ', includes loading'})`,
  );
  lines.push(
    table(
      ['phase', 'VmRSS before', `${gt.sessions} sessions open`, 'after run', 'VmHWM during run', 'closed +3 s'],
      [mrow(`gateway, ${gt.sessions} sessions`, r.memory.gateway), ...(r.memory.imap ? [mrow(`direct IMAP, ${it?.sessions} connections`, r.memory.imap)] : [])],
    ),
  );
  return lines.join('\n');
}

async function main(): Promise<number> {
  let o: Options | null;
  try {
    o = parseOptions(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (!o) {
    console.log(USAGE);
    return 0;
  }
  const startedAt = new Date().toISOString();
  const loadavgAtStart = loadavg();
  const pressureAtStart = cpuPressure();
  if (loadavgAtStart[0]! > 0.5) log(`note: load average is ${loadavgAtStart.map((x) => x.toFixed(2)).join(' ')} — other work is running; figures will be noisy`);

  const server: BenchServer = await startBenchServer(o.data, log);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await server.shutdown().catch(() => undefined);
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));
  try {
    log(`mailwerk PID ${server.pid}, data ${server.dataDir}, IMAPS ${server.ports.imaps}, HTTP ${server.ports.http}`);
    const user = `bench@${server.domain}`;
    const password = 'bench-password-1';
    await ensureUser(server, user, password, '16G');
    const imapTarget: ImapTarget = { port: server.ports.imaps!, ca: server.ca, user, password };
    const gatewayTarget: GatewayTarget = { base: `http://127.0.0.1:${server.ports.http}`, user, password };

    const load = await loadFolder({ target: imapTarget, folder: o.folder, messages: o.messages, seed: o.seed, parallel: o.parallel, log });
    if (o.settle > 0 && !load.skipped) {
      log(`settling ${o.settle} s (indexing and checkpoints after delivery) ...`);
      await sleep(o.settle * 1000);
    }
    const memoryAfterLoad = processMemory(server.pid);
    const check: PageCheck = { folder: o.folder, limit: o.limit, messages: o.messages };

    const pressureAtMeasure = cpuPressure();
    const primeMs = await primeServer(imapTarget, check);
    log(`first SELECT + page after server start (un-timed warm-up): ${primeMs.toFixed(1)} ms`);
    log(`time to first page: ${o.runs} fresh sessions through the gateway${o.skipImap ? '' : ' and directly over IMAP, interleaved'} ...`);
    const gRuns: FirstPageRun[] = [];
    const iRuns: FirstPageRun[] = [];
    for (let r = 0; r < o.runs; r++) {
      const g1 = await gatewayFirstPageRun(gatewayTarget, check, o.warm);
      gRuns.push(g1);
      let line = `  run ${r + 1}/${o.runs}: gateway login ${g1.loginMs.toFixed(1)} ms, first page (cold) ${g1.coldMs.toFixed(1)} ms`;
      if (!o.skipImap) {
        const i1 = await imapFirstPageRun(imapTarget, check, o.warm);
        iRuns.push(i1);
        line += `; IMAP connect+login ${i1.loginMs.toFixed(1)} ms, SELECT+FETCH (cold) ${i1.coldMs.toFixed(1)} ms`;
      }
      log(line);
    }
    const gFirst = summarizeRuns(gRuns, o.warm);
    const iFirst: FirstPageResult | null = o.skipImap ? null : summarizeRuns(iRuns, o.warm);

    log(`gateway throughput: ${o.sessions} sessions for ${o.duration} s ...`);
    const g = await measuredPhase(server.pid, (hooks) => gatewayThroughput(gatewayTarget, check, o.sessions, o.duration, o.depth, { ...hooks, log }));
    let i: Awaited<ReturnType<typeof measuredPhase>> | null = null;
    if (!o.skipImap) {
      log(`direct IMAP throughput: ${o.sessions} connections for ${o.duration} s ...`);
      i = await measuredPhase(server.pid, (hooks) => imapThroughput(imapTarget, check, o.sessions, o.duration, o.depth, { ...hooks, log }));
    }

    const results: Results = {
      startedAt,
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? '?',
        memGiB: Math.round(totalmem() / 1024 ** 3),
        loadavgAtStart,
        cpuPressureAtStart: pressureAtStart,
        node: process.version,
      },
      options: o,
      server: { pid: server.pid, dataDir: server.dataDir, kept: server.kept },
      load,
      memoryAfterLoad,
      firstPage: { gateway: gFirst, imap: iFirst },
      throughput: { gateway: g.result, imap: i?.result ?? null },
      memory: { gateway: g.memory, imap: i?.memory ?? null },
      cpu: { gateway: g.cpu, imap: i?.cpu ?? null },
      serverPrimeMs: round(primeMs, 1),
      target: { ms: o.targetMs, coldP95: gFirst.coldMs.p95, coldMedian: gFirst.coldMs.median, met: gFirst.coldMs.p95 < o.targetMs },
      loadavgAtEnd: loadavg(),
      cpuPressure: { measureStart: pressureAtMeasure, end: cpuPressure() },
    };
    console.log(formatReport(results));
    if (o.json) {
      writeFileSync(o.json, JSON.stringify(results, null, 2) + '\n');
      log(`results written to ${o.json}`);
    }
    return 0;
  } finally {
    await stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
