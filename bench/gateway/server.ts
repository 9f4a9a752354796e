/**
 * The Mailwerk under test, from the e2e harness (`startMailwerk`, free ports): in a temporary data directory,
 * or, with `--data DIR`, on a data directory kept between runs so a loaded folder can be reused.
 */
import type { ChildProcess } from 'node:child_process';
import { startMailwerk } from '../../e2e/harness.ts';

export interface BenchServer {
  dataDir: string;
  ports: Record<string, number>;
  ca: string;
  domain: string;
  pid: number;
  process: ChildProcess;
  /** True when the data directory outlives the run (--data). */
  kept: boolean;
  cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Stop the server; removes the data directory unless it is kept. */
  shutdown(): Promise<void>;
}

/** What every benchmark server runs with; the harness sets the same for its throw-away servers. */
export const BENCH_ENV: Record<string, string> = {
  MAILWERK_LOG_LEVEL: 'warn',
  // Room for the corpus (100,000 messages are ~1.12 GB) and a second run into the same account.
  MAILWERK_QUOTA: '16G',
};

/** `nodeArgs` (e.g. --cpu-prof, which NODE_OPTIONS does not take) needs a kept data directory. */
export async function startBenchServer(dataDir: string | undefined, log: (m: string) => void, nodeArgs: string[] = []): Promise<BenchServer> {
  if (!dataDir && nodeArgs.length > 0) throw new Error('node arguments need a kept data directory (--data DIR)');
  if (dataDir) log(`starting mailwerk on kept data directory ${dataDir}`);
  // Opening a large kept store takes a while.
  const mw = await startMailwerk(BENCH_ENV, { dataDir, nodeArgs, startTimeoutMs: 120_000 });
  return {
    dataDir: mw.dataDir,
    ports: mw.ports,
    ca: mw.ca,
    domain: mw.domain,
    pid: mw.process.pid!,
    process: mw.process,
    kept: dataDir !== undefined,
    cli: (args) => mw.cli(args),
    // A kept store is stopped cleanly (SIGTERM); a throw-away one is killed and removed.
    shutdown: () => (dataDir ? mw.stop() : mw.cleanup()),
  };
}

/** Create the account unless it exists (a kept data directory already has it). */
export async function ensureUser(server: BenchServer, user: string, password: string, quota: string): Promise<void> {
  const added = await server.cli(['user', 'add', user, '--password', password, '--quota', quota]);
  if (added.code === 0) return;
  const list = await server.cli(['user', 'list']);
  if (list.code === 0 && list.stdout.split('\n').some((line) => line.split('\t')[0] === user)) return;
  throw new Error(`user add ${user} failed: ${added.stderr || added.stdout}`);
}
