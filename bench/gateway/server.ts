/**
 * The Mailwerk under test: a throw-away one from the e2e harness (`startMailwerk`, temp data dir, free
 * ports), or, with `--data DIR`, one on a data directory that is kept between runs so a loaded folder can be
 * reused. The harness cannot do the latter itself: it always waits for ports.json in the temp directory it
 * creates, so an overridden MAILWERK_DATA never reports its ports (see README).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli, startMailwerk } from '../../e2e/harness.ts';

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

const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'mailwerk.js');
const DOMAIN = 'example.test';

/** What every benchmark server runs with; the harness sets the same for its throw-away servers. */
export const BENCH_ENV: Record<string, string> = {
  MAILWERK_LOG_LEVEL: 'warn',
  // Room for the corpus (100,000 messages are ~1.12 GB) and a second run into the same account.
  MAILWERK_QUOTA: '16G',
};

function exited(c: ChildProcess): Promise<void> {
  return new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));
}

/** `nodeArgs` (e.g. --cpu-prof, which NODE_OPTIONS does not take) needs a kept data directory. */
export async function startBenchServer(dataDir: string | undefined, log: (m: string) => void, nodeArgs: string[] = []): Promise<BenchServer> {
  if (!dataDir) {
    if (nodeArgs.length > 0) throw new Error('node arguments need a kept data directory (--data DIR)');
    const mw = await startMailwerk(BENCH_ENV);
    return {
      dataDir: mw.dataDir,
      ports: mw.ports,
      ca: mw.ca,
      domain: mw.domain,
      pid: mw.process.pid!,
      process: mw.process,
      kept: false,
      cli: (args) => mw.cli(args),
      shutdown: () => mw.cleanup(),
    };
  }

  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MAILWERK_DATA: dir,
    MAILWERK_DOMAIN: DOMAIN,
    MAILWERK_HOSTNAME: 'localhost',
    MAILWERK_ADMIN_PASSWORD: 'postmaster-secret-1',
    MAILWERK_LISTEN: '127.0.0.1',
    MAILWERK_SMTP_PORT: '0',
    MAILWERK_SUBMISSION_PORT: '0',
    MAILWERK_SUBMISSIONS_PORT: '0',
    MAILWERK_IMAP_PORT: '0',
    MAILWERK_IMAPS_PORT: '0',
    MAILWERK_POP3_PORT: '0',
    MAILWERK_POP3S_PORT: '0',
    MAILWERK_HTTP_PORT: '0',
    ...BENCH_ENV,
  };
  log(`starting mailwerk on kept data directory ${dir}`);
  let output = '';
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (output = (output + d).slice(-20000)));
  child.stderr!.on('data', (d) => (output = (output + d).slice(-20000)));
  const deadline = Date.now() + 120_000; // opening a large store may take a while
  let ports: Record<string, number> | undefined;
  while (!ports) {
    if (child.exitCode !== null) throw new Error(`mailwerk exited with ${child.exitCode}: ${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`mailwerk did not start within 120 s: ${output}`);
    }
    try {
      const file = JSON.parse(readFileSync(join(dir, 'ports.json'), 'utf8')) as { pid: number; ports: Record<string, number> };
      if (file.pid === child.pid) ports = file.ports;
    } catch {
      // not written yet
    }
    if (!ports) await sleep(50);
  }
  const caPath = join(dir, 'tls', 'cert.pem');
  if (!existsSync(caPath)) throw new Error(`no certificate at ${caPath}`);
  return {
    dataDir: dir,
    ports,
    ca: readFileSync(caPath, 'utf8'),
    domain: DOMAIN,
    pid: child.pid!,
    process: child,
    kept: true,
    cli: (args) => runCli(env, args),
    async shutdown() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const done = exited(child);
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        await done;
        clearTimeout(timer);
      }
    },
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
