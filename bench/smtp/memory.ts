/**
 * Peak memory of a server's process tree while the load runs, sampled from /proc (bench/imap/procmem.ts).
 * Postfix is many processes (one smtpd per session, cleanup, qmgr, virtual, ...): summed RSS counts shared
 * pages once per process, PSS divides them fairly, so both are kept. Peaks are taken separately (the RSS
 * peak and the PSS peak may come from different samples).
 */
import { treeMemory } from '../imap/procmem.ts';

export interface PeakMemory {
  rssKB: number;
  pssKB: number | null;
  /** Processes in the tree at the RSS peak. */
  processes: number;
}

export interface MemorySampler {
  stop(): PeakMemory | null;
}

/** Samples every `intervalMs` (0 = never); cheap enough at 500 ms not to disturb a 2-core machine. */
export function sampleMemory(pid: number, intervalMs: number): MemorySampler {
  let peak: PeakMemory | null = null;
  const sample = (): void => {
    try {
      const m = treeMemory(pid, true);
      if (!peak) peak = { rssKB: m.rssKB, pssKB: m.pssKB, processes: m.processes };
      if (m.rssKB > peak.rssKB) {
        peak.rssKB = m.rssKB;
        peak.processes = m.processes;
      }
      if (m.pssKB !== null && (peak.pssKB === null || m.pssKB > peak.pssKB)) peak.pssKB = m.pssKB;
    } catch {
      // the process is gone; the measurement will fail on its own
    }
  };
  if (intervalMs <= 0) return { stop: () => null };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}
