/**
 * `npm run bench:imap`: runs the IMAP benchmark (bench/imap/run.ts) against a throw-away Dovecot
 * (bench/imap/dovecot.ts) and, when given, against a running Mailwerk server, then prints both side by
 * side with ratios (mailwerk / dovecot) and whether Mailwerk meets its targets:
 *
 *   - UID FETCH 1:* (UID FLAGS ENVELOPE) of 100,000 messages < 2 s
 *   - SEARCH TEXT < 100 ms (rare and common word)
 *   - >= 1,000 APPENDs/s with 8 parallel clients
 *   - < 50 KB resident memory per idle connection
 *   - and no worse than Dovecot measured in the same run.
 *
 * Each target is measured by a fresh `run.ts` process, one after the other (Dovecot first; it is stopped
 * and its data removed before Mailwerk is measured), so the two never compete for the machine's CPUs.
 *
 * Prerequisite: Dovecot from Debian (`apt-get install -y dovecot-imapd`). Mailwerk must already be running
 * with a user for the benchmark, e.g. `mailwerk user add bench@localhost --password bench`.
 *
 *   npx tsx bench/imap/compare.ts [--messages 100000] [--idle 1000] \
 *       [--mailwerk-host 127.0.0.1 --mailwerk-port 2143 --mailwerk-user bench@localhost \
 *        --mailwerk-password bench --mailwerk-pid PID [--mailwerk-tls]] [--json out.json]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startDovecot, dovecotAvailable, INSTALL_HINT, type DovecotInstance } from './dovecot.ts';
import type { RunResults } from './run.ts';

const here = dirname(fileURLToPath(import.meta.url));
const RUN_TS = join(here, 'run.ts');

const USAGE = `usage: tsx bench/imap/compare.ts [options]
  --messages N            corpus size (default 100000)
  --idle N                idle connections for the memory figure (default 1000)
  --mailwerk-host H       Mailwerk IMAP host (default 127.0.0.1)
  --mailwerk-port P       Mailwerk IMAP port (omit to benchmark Dovecot only)
  --mailwerk-user U       (default bench@localhost)
  --mailwerk-password P   (default bench)
  --mailwerk-pid PID      Mailwerk server PID (memory is summed over its process tree)
  --mailwerk-tls          implicit TLS to Mailwerk, certificate not verified (benchmark only)
  --mailwerk-skip-load    Mailwerk's mailbox is already loaded with the same corpus
  --skip-dovecot          do not run Dovecot (then no ratios)
  --dovecot-port P        port for the temporary Dovecot (default: a free port)
  --dovecot-fts none|xapian   full-text search plugin for Dovecot (default none: SEARCH scans messages)
  --dovecot-format maildir|sdbox|mdbox   Dovecot mailbox format (default maildir)
  --dovecot-set 'K = V'   extra top-level Dovecot setting (repeatable), e.g. 'maildir_very_dirty_syncs = yes'
  --keep-dovecot-dir      keep Dovecot's temporary directory (config, logs, mail) after the run
  --parallel N --runs N --fetch-runs N --seed S --ham-dir DIR --ham-fraction F   passed to run.ts
  --json PATH             write all results (both targets + comparison) as JSON
  --strict                exit 1 when Mailwerk misses a target or is worse than Dovecot on a targeted metric
  --tolerance F           relative margin for "not worse than Dovecot" (default 0.05)
  --time-limit S          per-target limit passed to run.ts (default 3600)
  --idle-first            measure idle-connection memory first, on servers not yet holding load/FETCH garbage`;

interface Row {
  metric: string;
  unit: string;
  better: 'lower' | 'higher';
  mailwerk: number | null;
  dovecot: number | null;
  target: number | null;
  targetNote: string;
}

function fmt(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '-';
  return x.toLocaleString('en-US', { maximumFractionDigits: digits });
}

/** Runs run.ts in a child process (same node + tsx loader as ours) and returns its JSON results. */
function runTarget(args: string[], jsonPath: string, label: string): Promise<RunResults> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, RUN_TS, ...args, '--json', jsonPath, '--label', label], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    activeChildren.add(child.pid ?? -1);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      activeChildren.delete(child.pid ?? -1);
      if (code !== 0) {
        reject(new Error(`run.ts for ${label} failed (${signal ?? `exit ${code}`})`));
        return;
      }
      try {
        resolvePromise(JSON.parse(readFileSync(jsonPath, 'utf8')) as RunResults);
      } catch (err) {
        reject(err as Error);
      }
    });
  });
}

const activeChildren = new Set<number>();
let dovecot: DovecotInstance | undefined;
/** Temporary directory for the per-target JSON files; removed on any exit. */
let workDir: string | undefined;

function buildRows(mw: RunResults | undefined, dc: RunResults | undefined, messages: number): Row[] {
  const scale = messages / 100_000;
  const fetchTarget = 2000 * scale;
  const fetchNote = messages === 100_000 ? '< 2000 ms' : `< ${fmt(fetchTarget, 0)} ms (2 s per 100k, scaled)`;
  const pick = (r: RunResults | undefined, f: (r: RunResults) => number | null | undefined): number | null => {
    if (!r) return null;
    const v = f(r);
    return v === undefined || v === null || Number.isNaN(v) ? null : v;
  };
  const row = (metric: string, unit: string, better: Row['better'], f: (r: RunResults) => number | null | undefined, target: number | null, targetNote: string): Row => ({
    metric,
    unit,
    better,
    mailwerk: pick(mw, f),
    dovecot: pick(dc, f),
    target,
    targetNote,
  });
  return [
    row('APPEND throughput, 8 conns', 'msg/s', 'higher', (r) => (r.load.skipped ? null : r.load.messagesPerSec), 1000, '>= 1000 msg/s'),
    row('APPEND throughput, 8 conns', 'MB/s', 'higher', (r) => (r.load.skipped ? null : r.load.mbPerSec), null, ''),
    row('APPEND latency p99', 'ms', 'lower', (r) => r.load.latencyMs?.p99, null, ''),
    row('SELECT (first)', 'ms', 'lower', (r) => r.select.firstMs, null, ''),
    row('SELECT (median re-select)', 'ms', 'lower', (r) => r.select.medianMs, null, ''),
    row(`UID FETCH 1:* ENVELOPE (median)`, 'ms', 'lower', (r) => r.fetch.medianMs, fetchTarget, fetchNote),
    row(`UID FETCH 1:* ENVELOPE (first)`, 'ms', 'lower', (r) => r.fetch.firstMs, null, ''),
    row('UID FETCH response size', 'MB', 'lower', (r) => r.fetch.bytes / 1e6, null, ''),
    row('SEARCH TEXT rare (median)', 'ms', 'lower', (r) => r.search.rare.medianMs, 100, '< 100 ms'),
    row('SEARCH TEXT common (median)', 'ms', 'lower', (r) => r.search.common.medianMs, 100, '< 100 ms'),
    row('idle connection memory (RSS)', 'KB/conn', 'lower', (r) => r.idle.perConnectionRssKB, 50, '< 50 KB'),
    row('idle connection memory (PSS)', 'KB/conn', 'lower', (r) => r.idle.perConnectionPssKB, null, ''),
  ];
}

function meets(v: number | null, target: number | null, better: Row['better']): boolean | null {
  if (v === null || target === null) return null;
  return better === 'higher' ? v >= target : v < target;
}

function yesNo(b: boolean | null): string {
  return b === null ? '-' : b ? 'yes' : 'NO';
}

/** Mailwerk is "not worse" when it is better than Dovecot or within `tolerance` (relative) of it. */
function notWorse(r: Row, tolerance: number): boolean | null {
  if (r.mailwerk === null || r.dovecot === null) return null;
  return r.better === 'higher' ? r.mailwerk >= r.dovecot * (1 - tolerance) : r.mailwerk <= r.dovecot * (1 + tolerance);
}

function formatComparison(rows: Row[], mw: RunResults | undefined, dc: RunResults | undefined, notes: string[], tolerance: number): string {
  const header = ['metric', 'unit', 'mailwerk', 'dovecot', 'mw/dc', 'target', 'mw meets', `mw not worse (±${Math.round(tolerance * 100)}%)`, 'dc meets'];
  const table: string[][] = [header];
  for (const r of rows) {
    const ratio = r.mailwerk !== null && r.dovecot !== null && r.dovecot !== 0 ? r.mailwerk / r.dovecot : null;
    table.push([
      r.metric,
      r.unit,
      fmt(r.mailwerk, 2),
      fmt(r.dovecot, 2),
      ratio === null ? '-' : `${fmt(ratio, 2)}x`,
      r.targetNote || '-',
      yesNo(meets(r.mailwerk, r.target, r.better)),
      yesNo(notWorse(r, tolerance)),
      yesNo(meets(r.dovecot, r.target, r.better)),
    ]);
  }
  const widths = header.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]): string => row.map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join('  ');
  const out = ['', '== IMAP benchmark: Mailwerk vs Dovecot ==', line(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const row of table.slice(1)) out.push(line(row));
  out.push(
    '',
    'ratio mw/dc: above 1 is better for msg/s and MB/s, below 1 is better for times and memory.',
    `"not worse": better than Dovecot or within ${Math.round(tolerance * 100)}% of it (run-to-run noise; --tolerance).`,
  );
  const hits = (r: RunResults | undefined, name: string): string =>
    r ? `${name}: rare ${r.search.rare.hits}/${r.search.rare.expected}, common ${r.search.common.hits}/${r.search.common.expected}` : '';
  out.push(`search hits (got/expected): ${[hits(mw, 'mailwerk'), hits(dc, 'dovecot')].filter(Boolean).join('; ')}`);
  for (const r of [mw, dc]) {
    if (r && r.errors.length) out.push(`problems (${r.label}):`, ...r.errors.map((e) => `  - ${e}`));
  }
  if (notes.length) out.push('', 'notes:', ...notes.map((n) => `  - ${n}`));
  return out.join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '100000' },
      idle: { type: 'string', default: '1000' },
      'mailwerk-host': { type: 'string', default: '127.0.0.1' },
      'mailwerk-port': { type: 'string' },
      'mailwerk-user': { type: 'string', default: 'bench@localhost' },
      'mailwerk-password': { type: 'string', default: 'bench' },
      'mailwerk-pid': { type: 'string' },
      'mailwerk-tls': { type: 'boolean', default: false },
      'mailwerk-skip-load': { type: 'boolean', default: false },
      'skip-dovecot': { type: 'boolean', default: false },
      'dovecot-port': { type: 'string' },
      'dovecot-fts': { type: 'string', default: 'none' },
      'dovecot-format': { type: 'string', default: 'maildir' },
      'dovecot-set': { type: 'string', multiple: true, default: [] },
      'keep-dovecot-dir': { type: 'boolean', default: false },
      parallel: { type: 'string' },
      runs: { type: 'string' },
      'fetch-runs': { type: 'string' },
      seed: { type: 'string' },
      'ham-dir': { type: 'string' },
      'ham-fraction': { type: 'string' },
      json: { type: 'string' },
      strict: { type: 'boolean', default: false },
      tolerance: { type: 'string', default: '0.05' },
      'time-limit': { type: 'string', default: '3600' },
      'idle-first': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const fts = values['dovecot-fts'];
  if (fts !== 'none' && fts !== 'xapian') throw new Error('--dovecot-fts must be none or xapian');
  const format = values['dovecot-format'];
  if (format !== 'maildir' && format !== 'sdbox' && format !== 'mdbox') throw new Error('--dovecot-format must be maildir, sdbox or mdbox');
  const tolerance = Number(values.tolerance);
  if (!(tolerance >= 0 && tolerance < 1)) throw new Error('--tolerance must be a fraction in [0, 1)');
  const messages = Number(values.messages);
  if (!Number.isInteger(messages) || messages < 1) throw new Error('--messages must be a positive integer');
  const mailwerkPort = values['mailwerk-port'];
  if (values['skip-dovecot'] && !mailwerkPort) throw new Error('nothing to do: --skip-dovecot without --mailwerk-port');
  if (!values['skip-dovecot'] && !dovecotAvailable().dovecot) {
    console.error(INSTALL_HINT);
    return 2;
  }

  if (!values['skip-dovecot'] && format === 'maildir' && messages > 20_000) {
    console.error(
      '[dovecot] note: with maildir, Dovecot\'s APPEND rate falls as the mailbox grows (measured on a 2-core VM: ' +
        '~330 msg/s at first, ~60 msg/s by 20,000 messages), so loading 100,000 takes about an hour and may hit ' +
        '--time-limit. --dovecot-format sdbox (Dovecot\'s own format) loads 100,000 in ~4 minutes.',
    );
  }
  const common: string[] = ['--messages', String(messages), '--idle', values.idle, '--time-limit', values['time-limit']];
  if (values['idle-first']) common.push('--idle-first');
  for (const k of ['parallel', 'runs', 'fetch-runs', 'seed', 'ham-dir', 'ham-fraction'] as const) {
    const v = values[k];
    if (v !== undefined) common.push(`--${k}`, v);
  }
  const work = mkdtempSync(join(tmpdir(), 'mailwerk-imap-bench-'));
  workDir = work;
  const notes: string[] = [];
  let dc: RunResults | undefined;
  let mw: RunResults | undefined;
  const failures: string[] = [];

  try {
    if (!values['skip-dovecot']) {
      const idle = Number(values.idle);
      dovecot = await startDovecot({
        port: values['dovecot-port'] ? Number(values['dovecot-port']) : undefined,
        fts,
        format,
        extra: values['dovecot-set'],
        maxConnections: Math.max(2000, idle + 200),
        keep: values['keep-dovecot-dir'],
      });
      notes.push(...dovecot.describe.map((d) => `dovecot: ${d}`));
      notes.push(
        `dovecot memory: VmRSS (and PSS) summed over the master PID ${dovecot.pid} and all its descendants ` +
          '(one imap process per connection, plus login/auth/anvil/stats/log/config); VmRSS counts shared pages once per process.',
      );
      try {
        dc = await runTarget(
          ['--host', '127.0.0.1', '--port', String(dovecot.port), '--user', dovecot.user, '--password', dovecot.password, '--pid', String(dovecot.pid), ...common],
          join(work, 'dovecot.json'),
          'dovecot',
        );
      } catch (err) {
        failures.push((err as Error).message);
      } finally {
        await dovecot.stop();
        if (values['keep-dovecot-dir']) notes.push(`dovecot directory kept: ${dovecot.dir}`);
        dovecot = undefined;
      }
    }

    if (mailwerkPort) {
      const args = [
        '--host', values['mailwerk-host'],
        '--port', mailwerkPort,
        '--user', values['mailwerk-user'],
        '--password', values['mailwerk-password'],
        ...common,
      ];
      if (values['mailwerk-pid']) args.push('--pid', values['mailwerk-pid']);
      else notes.push('mailwerk memory not measured: pass --mailwerk-pid');
      if (values['mailwerk-tls']) args.push('--tls');
      if (values['mailwerk-skip-load']) args.push('--skip-load');
      try {
        mw = await runTarget(args, join(work, 'mailwerk.json'), 'mailwerk');
      } catch (err) {
        failures.push((err as Error).message);
      }
    } else {
      notes.push('mailwerk not measured: pass --mailwerk-port (and --mailwerk-pid) to compare');
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  const rows = buildRows(mw, dc, messages);
  console.log(formatComparison(rows, mw, dc, notes, tolerance));
  if (failures.length) console.log(`\nFAILED: ${failures.join('; ')}`);

  const out = values.json ? resolve(values.json) : join(tmpdir(), `mailwerk-imap-bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ messages, tolerance, rows, mailwerk: mw ?? null, dovecot: dc ?? null, notes, failures }, null, 2) + '\n');
  console.log(`\nresults: ${out}`);

  if (failures.length) return 1;
  if (values.strict && mw) {
    const missed = rows.filter((r) => meets(r.mailwerk, r.target, r.better) === false);
    const worse = rows.filter((r) => r.target !== null && notWorse(r, tolerance) === false);
    if (missed.length || worse.length) return 1;
  }
  return 0;
}

// Whatever happens, the Dovecot instance and run.ts children die with us.
let stopping = false;
const emergency = (): void => {
  dovecot?.killNow();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  for (const pid of activeChildren) {
    try {
      if (pid > 0) process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
};
process.on('exit', emergency);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    console.error(`received ${sig}: stopping dovecot and exiting`);
    const d = dovecot;
    for (const pid of activeChildren) {
      try {
        if (pid > 0) process.kill(pid, 'SIGTERM');
      } catch {
        // gone
      }
    }
    (d ? d.stop() : Promise.resolve()).finally(() => process.exit(130));
  });
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`bench:imap failed: ${err.message}`);
    process.exit(1);
  },
);
