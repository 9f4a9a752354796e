/** The comparison table printed by `npm run bench:smtp` (same layout as bench/imap/compare.ts). */
import type { LoadSpec, Measurement, Mode, ServerName } from './types.ts';

/** What each server yielded over all runs: measurements, or why there are none. */
export interface ServerOutcome {
  runs: Measurement[];
  unavailable?: string;
  failure?: string;
  skipped?: boolean;
}

export type Outcomes = Record<ServerName, ServerOutcome>;

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function maxOf(xs: (number | null | undefined)[]): number | null {
  const v = xs.filter((x): x is number => typeof x === 'number');
  return v.length ? Math.max(...v) : null;
}

export function fmt(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '-';
  return x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export const deliveredLabel = (mode: Mode): string => (mode === 'local' ? 'accepted and stored' : 'accepted and relayed to the sink');

export interface Summary {
  deliveredPerSec: number | null;
  acceptedPerSec: number | null;
  deliveredS: number | null;
  acceptedS: number | null;
  verified: string;
  storedBytes: number | null;
  peakRssMB: number | null;
  peakPssMB: number | null;
  processes: number | null;
  /** Every run's delivered msg/s, for the spread. */
  allDeliveredPerSec: number[];
}

/** "10000/10000", with "x3" when every one of three runs delivered everything. */
function verifiedText(r: Measurement[]): string {
  if (r.length === 0) return '-';
  if (r.every((m) => m.delivered === m.expected)) return `${r[0]?.delivered}/${r[0]?.expected}${r.length > 1 ? ` x${r.length}` : ''}`;
  return r.map((m) => `${m.delivered}/${m.expected}`).join(', ');
}

/** Medians over runs for rates and times; maxima for memory. */
export function summarize(o: ServerOutcome): Summary {
  const r = o.runs;
  const perSec = (n: number, ms: number): number => n / (ms / 1000);
  return {
    deliveredPerSec: median(r.map((m) => perSec(m.delivered, m.deliveredMs))),
    acceptedPerSec: median(r.map((m) => perSec(m.expected, m.acceptedMs))),
    deliveredS: median(r.map((m) => m.deliveredMs / 1000)),
    acceptedS: median(r.map((m) => m.acceptedMs / 1000)),
    verified: verifiedText(r),
    storedBytes: median(r.map((m) => m.storedBytesPerMessage).filter((x): x is number => x !== null)),
    peakRssMB: maxOf(r.map((m) => (m.peak ? m.peak.rssKB / 1024 : null))),
    peakPssMB: maxOf(r.map((m) => (m.peak?.pssKB != null ? m.peak.pssKB / 1024 : null))),
    processes: maxOf(r.map((m) => m.peak?.processes)),
    allDeliveredPerSec: r.map((m) => perSec(m.delivered, m.deliveredMs)),
  };
}

function ratio(a: number | null, b: number | null): string {
  return a !== null && b !== null && b !== 0 ? `${fmt(a / b, 2)}x` : '-';
}

/** Why a server has no figures, short enough for its column (the reason is in the notes). */
function absence(o: ServerOutcome): string | undefined {
  if (o.skipped) return 'not run';
  if (o.unavailable) return 'n/a';
  if (o.failure) return 'FAILED';
  return undefined;
}

export function formatReport(mode: Mode, load: LoadSpec, outcomes: Outcomes): string {
  const mw = summarize(outcomes.mailwerk);
  const pf = summarize(outcomes.postfix);
  const what = deliveredLabel(mode);
  const rows: [string, string, string, string, string][] = [
    [`${what} (headline)`, 'msg/s', fmt(mw.deliveredPerSec), fmt(pf.deliveredPerSec), ratio(mw.deliveredPerSec, pf.deliveredPerSec)],
    ['accepted (smtp-source finished)', 'msg/s', fmt(mw.acceptedPerSec), fmt(pf.acceptedPerSec), ratio(mw.acceptedPerSec, pf.acceptedPerSec)],
    [`wall time, ${what}`, 's', fmt(mw.deliveredS, 2), fmt(pf.deliveredS, 2), ratio(mw.deliveredS, pf.deliveredS)],
    ['wall time, accepted', 's', fmt(mw.acceptedS, 2), fmt(pf.acceptedS, 2), ratio(mw.acceptedS, pf.acceptedS)],
    ['verified at the destination', 'msgs', mw.verified, pf.verified, ''],
    ...(mode === 'local' ? [['stored size per message', 'bytes', fmt(mw.storedBytes, 0), fmt(pf.storedBytes, 0), ''] as [string, string, string, string, string]] : []),
    ['peak RSS, process tree', 'MB', fmt(mw.peakRssMB), fmt(pf.peakRssMB), ratio(mw.peakRssMB, pf.peakRssMB)],
    ['peak PSS, process tree', 'MB', fmt(mw.peakPssMB), fmt(pf.peakPssMB), ratio(mw.peakPssMB, pf.peakPssMB)],
    ['processes (at peak RSS)', 'n', fmt(mw.processes, 0), fmt(pf.processes, 0), ''],
  ];
  // A server without figures says why in its column instead of a row of dashes.
  const mwAbsent = absence(outcomes.mailwerk);
  const pfAbsent = absence(outcomes.postfix);
  if (mwAbsent) for (const r of rows) r[2] = r === rows[0] ? mwAbsent : '-';
  if (pfAbsent) for (const r of rows) r[3] = r === rows[0] ? pfAbsent : '-';

  const header: [string, string, string, string, string] = ['metric', 'unit', 'mailwerk', 'postfix', 'mw/pf'];
  const table = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]): string =>
    row.map((c, i) => (i >= 2 ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join('  ').trimEnd();

  const out = [
    '',
    `== SMTP benchmark (${mode}): Mailwerk vs Postfix, ${load.messages.toLocaleString('en-US')} messages of ${load.size} body bytes, ` +
      `${load.sessions} sessions${load.reuseConnections ? ' (connections reused)' : ', one connection per message'} ==`,
    line(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(line),
    '',
  ];
  const headline = ratio(mw.deliveredPerSec, pf.deliveredPerSec);
  out.push(
    headline === '-'
      ? `ratio Mailwerk/Postfix: - (${(['mailwerk', 'postfix'] as const)
          .filter((n) => absence(outcomes[n]))
          .map((n) => `${n}: ${outcomes[n].unavailable ?? (outcomes[n].skipped ? 'not run (--only)' : 'failed, see notes')}`)
          .join('; ')})`
      : `ratio Mailwerk/Postfix: ${headline} (${what}, msg/s; above 1 means Mailwerk is faster)`,
  );
  const runs = Math.max(outcomes.mailwerk.runs.length, outcomes.postfix.runs.length);
  if (runs > 1) {
    out.push(`runs: ${runs}; rates and times are medians, memory the maximum.`);
    for (const [name, s] of [['mailwerk', mw], ['postfix', pf]] as const) {
      if (s.allDeliveredPerSec.length) out.push(`  ${name} ${what} per run: ${s.allDeliveredPerSec.map((x) => fmt(x)).join(', ')} msg/s`);
    }
  }
  const notes: string[] = [];
  for (const name of ['mailwerk', 'postfix'] as const) {
    const o = outcomes[name];
    const first = o.runs[0];
    if (first) notes.push(...first.describe.map((d) => `${name}: ${d}`));
    if (o.failure) notes.push(`${name} FAILED: ${o.failure}`);
  }
  if (notes.length) out.push('', 'notes:', ...notes.map((n) => `  - ${n}`));
  return out.join('\n');
}
