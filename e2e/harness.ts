import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A real `mailwerk start` process on free ports in a temporary data directory. */
export interface Mailwerk {
  dataDir: string;
  ports: Record<string, number>;
  /** PEM of the generated certificate, for clients that verify it. */
  ca: string;
  caPath: string;
  domain: string;
  adminPassword: string;
  env: NodeJS.ProcessEnv;
  process: ChildProcess;
  /** The last 20,000 characters the server wrote to stdout and stderr (its JSON log lines). */
  readonly output: string;
  /** Run `mailwerk ARGS` against the same installation. */
  cli(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }>;
  stop(): Promise<void>;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
  /** Start again on the same data directory (new ports). */
  restart(): Promise<void>;
  /** SIGKILL if still running, then remove the data directory (unless it was given to startMailwerk). */
  cleanup(): Promise<void>;
}

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'mailwerk.js');

export function runCli(env: NodeJS.ProcessEnv, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

async function waitForPorts(dataDir: string, pid: number, child: ChildProcess, log: () => string, timeoutMs: number): Promise<Record<string, number>> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`mailwerk exited with ${child.exitCode}: ${log()}`);
    try {
      const file = JSON.parse(readFileSync(join(dataDir, 'ports.json'), 'utf8')) as { pid: number; ports: Record<string, number> };
      if (file.pid === pid) return file.ports;
    } catch {
      // not written yet
    }
    await sleep(50);
  }
  throw new Error(`mailwerk did not start within ${timeoutMs / 1000} s: ${log()}`);
}

export interface StartOptions {
  /** Use (and keep) this data directory instead of a fresh temporary one, e.g. a benchmark's loaded store. */
  dataDir?: string;
  /** Arguments for node itself, such as --cpu-prof. */
  nodeArgs?: string[];
  /** How long opening the store may take (a large one takes a while). */
  startTimeoutMs?: number;
}

export async function startMailwerk(extraEnv: Record<string, string> = {}, options: StartOptions = {}): Promise<Mailwerk> {
  const keep = options.dataDir !== undefined;
  const dataDir = options.dataDir ? resolve(options.dataDir) : mkdtempSync(join(tmpdir(), 'mailwerk-test-'));
  mkdirSync(dataDir, { recursive: true });
  const adminPassword = 'postmaster-secret-1';
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MAILWERK_DATA: dataDir,
    MAILWERK_DOMAIN: 'example.test',
    MAILWERK_HOSTNAME: 'localhost',
    MAILWERK_ADMIN_PASSWORD: adminPassword,
    MAILWERK_LISTEN: '127.0.0.1',
    MAILWERK_SMTP_PORT: '0',
    MAILWERK_SUBMISSION_PORT: '0',
    MAILWERK_SUBMISSIONS_PORT: '0',
    MAILWERK_IMAP_PORT: '0',
    MAILWERK_IMAPS_PORT: '0',
    MAILWERK_POP3_PORT: '0',
    MAILWERK_POP3S_PORT: '0',
    MAILWERK_HTTP_PORT: '0',
    MAILWERK_LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  let output = '';
  const launch = async () => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), BIN, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (output = (output + d).slice(-20000)));
    child.stderr!.on('data', (d) => (output = (output + d).slice(-20000)));
    const ports = await waitForPorts(dataDir, child.pid!, child, () => output, options.startTimeoutMs ?? 30_000);
    return { child, ports };
  };
  let { child, ports } = await launch();
  const caPath = join(dataDir, 'tls', 'cert.pem');
  const exited = (c: ChildProcess) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));
  const handle: Mailwerk = {
    dataDir,
    get ports() {
      return ports;
    },
    ca: readFileSync(caPath, 'utf8'),
    caPath,
    domain: 'example.test',
    adminPassword,
    env,
    get process() {
      return child;
    },
    get output() {
      return output;
    },
    cli: (args, input) => runCli(env, args, input),
    async stop() {
      child.kill('SIGTERM');
      await exited(child);
    },
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
    async restart() {
      ({ child, ports } = await launch());
    },
    async cleanup() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited(child);
      }
      if (!keep) rmSync(dataDir, { recursive: true, force: true });
    },
  } as Mailwerk;
  return handle;
}

/** A small RFC 5322 message. */
export function sampleMessage(opts: { from?: string; to?: string; subject?: string; body?: string; messageId?: string; inReplyTo?: string } = {}): string {
  const id = opts.messageId ?? `<${Math.random().toString(36).slice(2)}@example.test>`;
  return [
    `From: ${opts.from ?? 'Alice Example <alice@example.org>'}`,
    `To: ${opts.to ?? 'Bob <bob@example.test>'}`,
    `Subject: ${opts.subject ?? 'Hello'}`,
    `Date: Tue, 03 Nov 2026 10:00:00 +0000`,
    `Message-ID: ${id}`,
    ...(opts.inReplyTo ? [`In-Reply-To: ${opts.inReplyTo}`, `References: ${opts.inReplyTo}`] : []),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    opts.body ?? 'Hello Bob,\r\nthis is a test.\r\n',
  ].join('\r\n');
}

export interface TestUser {
  user: string;
  password: string;
}

/** A started server with one account on it, the usual start of a protocol test. */
export async function startWithUser(user: string, password: string, env: Record<string, string> = {}): Promise<Mailwerk> {
  const mw = await startMailwerk(env);
  const added = await mw.cli(['user', 'add', user, '--password', password]);
  if (added.code !== 0) throw new Error(`user add failed: ${added.stderr}`);
  return mw;
}
