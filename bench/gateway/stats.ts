/**
 * Small helpers shared by the gateway benchmark: latency summaries, number formatting and the memory of one
 * process read from /proc/PID/status (VmRSS, VmHWM).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

export interface LatencySummary {
  count: number;
  min: number;
  median: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile (p in 0..1) of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(p * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const x of sorted) sum += x;
  return {
    count: sorted.length,
    min: round(sorted[0] ?? NaN, 2),
    median: round(percentile(sorted, 0.5), 2),
    p95: round(percentile(sorted, 0.95), 2),
    p99: round(percentile(sorted, 0.99), 2),
    max: round(sorted[sorted.length - 1] ?? NaN, 2),
    mean: round(sorted.length ? sum / sorted.length : NaN, 2),
  };
}

export function round(x: number, digits = 1): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** "12.3 ms", "1,234 ms" */
export function ms(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  if (x >= 1000) return `${Math.round(x).toLocaleString('en-US')} ms`;
  if (x >= 100) return `${x.toFixed(0)} ms`;
  if (x >= 10) return `${x.toFixed(1)} ms`;
  return `${x.toFixed(2)} ms`;
}

export function num(x: number | null | undefined, digits = 0): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** gateway / peer as "2.31×" */
export function ratio(a: number | null | undefined, b: number | null | undefined): string {
  if (a === null || a === undefined || b === null || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '—';
  const r = a / b;
  return `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}

export function mib(kb: number | null | undefined): string {
  if (kb === null || kb === undefined || !Number.isFinite(kb)) return '—';
  return `${(kb / 1024).toFixed(1)} MiB`;
}

export interface ProcessMemory {
  /** Resident set now (kB). */
  rssKB: number;
  /** Peak resident set (kB) since start or since the last resetPeak(). */
  hwmKB: number;
  at: string;
}

export function processMemory(pid: number): ProcessMemory | null {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKB = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(text)?.[1] ?? NaN);
    const hwmKB = Number(/^VmHWM:\s+(\d+)\s+kB/m.exec(text)?.[1] ?? NaN);
    return { rssKB, hwmKB, at: new Date().toISOString() };
  } catch {
    return null;
  }
}

/**
 * Reset the peak (VmHWM) to the current RSS, so a later reading gives the peak of one phase. Writing "5" to
 * clear_refs does that (Linux >= 4.0) and needs only ownership of the process, which we have: we started it.
 */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** A right-aligned text table with a header row and a separator; the first column is left-aligned. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

let clockTicks: number | undefined;

/** CPU time (user + system) a process has used so far, in ms, from /proc/PID/stat. */
export function processCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    clockTicks ??= clockTicksPerSecond();
    return ((utime + stime) * 1000) / clockTicks;
  } catch {
    return null;
  }
}

function clockTicksPerSecond(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
}

/** /proc/pressure/cpu "some avg60": the share of the last minute in which some runnable task waited for a CPU. */
export function cpuPressure(): number | null {
  try {
    const m = /^some avg10=[\d.]+ avg60=([\d.]+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}
