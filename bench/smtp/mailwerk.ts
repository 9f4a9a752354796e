/**
 * A throw-away Mailwerk for the SMTP benchmark: the real `mailwerk start` process from this checkout (as
 * e2e/harness.ts starts it) on free ports in a temp data directory, with one account `user@bench.test`.
 *
 * Mailwerk answers 250 after DATA only once the message is durable in the recipient's INBOX, so accepted
 * and delivered coincide; the benchmark still checks the INBOX's message count over IMAP (STATUS) before it
 * reports anything.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImapFlow } from 'imapflow';
import { startDnsServer, type TestDnsServer } from '../../e2e/dns-server.ts';
import { startSink } from './sink.ts';
import { pollUntil, tail } from './tools.ts';
import type { SetupOptions, SmtpTarget, Unavailable } from './types.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'mailwerk.js');
const DOMAIN = 'bench.test';
const USER = `user@${DOMAIN}`;
const PASSWORD = 'bench-password-1';
/** The envelope and From: domain smtp-source uses (LoadSpec.sender). */
const SENDER_DOMAIN = 'bench.test';

export interface MailwerkOptions extends SetupOptions {
  /** MAILWERK_LOG_LEVEL; `info` (the default in production) logs one line per connection and message. */
  logLevel: string;
  /** `stub`: a local DNS server with the sender domain's SPF/DMARC records; `system`; or `host:port`. */
  dns: string;
}

/**
 * Mailwerk checks SPF, DKIM, DMARC and ARC on every inbound message, so each message costs DNS lookups. A
 * production MX asks a local caching resolver; this machine's resolver answers a burst of 20 concurrent
 * lookups only after about a second, which would measure the resolver, not Mailwerk. The stub answers at
 * once, from memory, as a warm cache would, with the records of a well-run sender domain (SPF allows the
 * client, DMARC p=none), so the checks take their usual path (SPF pass, DMARC evaluated, no DKIM signature).
 */
async function startDnsStub(): Promise<TestDnsServer> {
  return startDnsServer({
    [SENDER_DOMAIN]: { TXT: ['v=spf1 ip4:127.0.0.0/8 -all'] },
    [`_dmarc.${SENDER_DOMAIN}`]: { TXT: ['v=DMARC1; p=none'] },
  });
}

/** `mailwerk ARGS` against the same data directory; asynchronous, so the DNS stub in this process keeps answering. */
function cli(env: NodeJS.ProcessEnv, args: string[]): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolvePromise() : reject(new Error(`mailwerk ${args.join(' ')} failed (exit ${code}): ${output}`))));
  });
}

/** Which commit the measured code is, and whether the working tree differs from it. */
function checkoutDescription(): string {
  const head = spawnSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
  if (!head) return 'this checkout';
  const dirty = spawnSync('git', ['-C', ROOT, 'status', '--porcelain', '--', 'mailserver', 'bin'], { encoding: 'utf8' }).stdout.trim();
  return `checkout ${head}${dirty ? ' + uncommitted changes in mailserver/' : ''}`;
}

async function waitForPorts(dataDir: string, child: ChildProcess, logPath: string): Promise<Record<string, number>> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`mailwerk exited with ${child.exitCode}:\n${tail(logPath)}`);
    try {
      const file = JSON.parse(readFileSync(join(dataDir, 'ports.json'), 'utf8')) as { pid: number; ports: Record<string, number> };
      if (file.pid === child.pid) return file.ports;
    } catch {
      // not written yet
    }
    await sleep(50);
  }
  throw new Error(`mailwerk did not start within 60 s:\n${tail(logPath)}`);
}

/** Quota comfortably above the load (the 1 GiB default is too small for large --messages/--size). */
function quotaFor(opts: SetupOptions): string {
  const bytes = opts.load.messages * (opts.load.size + 2048) * 2;
  return `${Math.max(1024, Math.ceil(bytes / 2 ** 20))}M`;
}

/** Relay mode: mail for a domain that is not Mailwerk's, relayed through its outbound queue to smtp-sink. */
const RELAY_RECIPIENT = 'user@relay.test';

export async function startMailwerk(opts: MailwerkOptions): Promise<SmtpTarget | Unavailable> {
  // Like Postfix's relayhost: the loopback client may relay (MAILWERK_RELAY_NETWORKS) and every remote
  // message goes to the sink (MAILWERK_SMARTHOST), through the durable queue.
  const sink = opts.mode === 'relay' ? await startSink() : undefined;

  const dnsStub = opts.dns === 'stub' ? await startDnsStub() : undefined;
  const dnsServer = dnsStub ? dnsStub.address : opts.dns === 'system' ? undefined : opts.dns;
  const work = mkdtempSync(join(tmpdir(), 'mailwerk-bench-smtp-'));
  const dataDir = join(work, 'data');
  mkdirSync(dataDir);
  const logPath = join(work, 'mailwerk.log');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MAILWERK_DATA: dataDir,
    MAILWERK_DOMAIN: DOMAIN,
    MAILWERK_HOSTNAME: 'localhost',
    MAILWERK_ADMIN_PASSWORD: 'postmaster-bench-1',
    MAILWERK_LISTEN: '127.0.0.1',
    MAILWERK_LOG_LEVEL: opts.logLevel,
    // 20 sessions that reconnect for every message briefly hold a few more connections than 20.
    MAILWERK_SMTP_MAX_CONNECTIONS_PER_IP: String(Math.max(50, opts.load.sessions * 2)),
  };
  if (sink) {
    env.MAILWERK_RELAY_NETWORKS = '127.0.0.0/8';
    env.MAILWERK_SMARTHOST = `127.0.0.1:${sink.port}`;
  }
  if (dnsServer) env.MAILWERK_DNS = dnsServer;
  else delete env.MAILWERK_DNS;
  for (const p of ['SMTP', 'SUBMISSION', 'SUBMISSIONS', 'IMAP', 'IMAPS', 'POP3', 'POP3S', 'HTTP']) env[`MAILWERK_${p}_PORT`] = '0';

  // The server writes its log straight into a file, not through a pipe to us.
  const logFd = openSync(logPath, 'a');
  const child = spawn(process.execPath, [BIN, 'start'], { env, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let imap: ImapFlow | undefined;
  let stopped = false;
  const killNow = (): void => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    sink?.killNow();
    if (!opts.keepDir) rmSync(work, { recursive: true, force: true });
  };
  const stop = async (): Promise<void> => {
    if (stopped) return;
    await imap?.logout().catch(() => undefined);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    await dnsStub?.close();
    await sink?.stop();
    killNow();
  };

  try {
    const ports = await waitForPorts(dataDir, child, logPath);
    const smtpPort = ports.smtp;
    const imapsPort = ports.imaps;
    if (!smtpPort || !imapsPort) throw new Error(`ports.json lacks smtp/imaps: ${JSON.stringify(ports)}`);
    await cli(env, ['user', 'add', USER, '--password', PASSWORD, '--quota', quotaFor(opts)]);
    const ca = readFileSync(join(dataDir, 'tls', 'cert.pem'), 'utf8');
    opts.log(`[mailwerk] up: pid ${child.pid}, smtp port ${smtpPort}, data ${dataDir}`);

    const connect = async (): Promise<ImapFlow> => {
      const client = new ImapFlow({
        host: '127.0.0.1',
        port: imapsPort,
        secure: true,
        tls: { ca: [ca], servername: 'localhost' },
        auth: { user: USER, pass: PASSWORD },
        logger: false,
        // The connection idles for the whole load; imapflow's 5-minute default would end it.
        socketTimeout: 24 * 3600_000,
      });
      // A dropped connection (e.g. the server's idle autologout on a very long load) is noticed through
      // `usable` and replaced; without a listener the 'error' event would crash the benchmark.
      client.on('error', () => undefined);
      await client.connect();
      return client;
    };
    const inboxStatus = async (): Promise<{ messages: number; size: number | null }> => {
      if (!imap?.usable) imap = await connect();
      const st = await imap.status('INBOX', { messages: true, size: true });
      if (!st) throw new Error('STATUS INBOX failed');
      return { messages: st.messages ?? 0, size: (st as { size?: number }).size ?? null };
    };
    let queriesBefore = 0;
    return {
      host: '127.0.0.1',
      port: smtpPort,
      recipient: sink ? RELAY_RECIPIENT : USER,
      pid: child.pid as number,
      describe: [
        `Mailwerk (${checkoutDescription()}), Node ${process.version}, SQLite store (WAL, synchronous=FULL), MAILWERK_LOG_LEVEL=${opts.logLevel}`,
        dnsStub
          ? `SPF/DKIM/DMARC/ARC checked per message against a local DNS stub (${dnsStub.address}: SPF pass, DMARC p=none)`
          : `SPF/DKIM/DMARC/ARC checked per message against ${dnsServer ?? 'the system resolver'}`,
        sink
          ? `delivered = received by smtp-sink on 127.0.0.1:${sink.port} (MAILWERK_SMARTHOST), after the durable outbound queue`
          : 'delivered = in the INBOX (250 is sent after the commit is fsynced); counted over IMAP STATUS',
      ],
      async prepare() {
        // Logged in before the clock starts: the check after the load then costs one STATUS, not a login.
        imap = await connect();
        queriesBefore = dnsStub?.queries.length ?? 0;
      },
      notes(delivered) {
        if (!dnsStub || delivered === 0) return [];
        const perMessage = (dnsStub.queries.length - queriesBefore) / delivered;
        const kinds = new Map<string, number>();
        for (const q of dnsStub.queries.slice(queriesBefore)) kinds.set(`${q.type} ${q.name}`, (kinds.get(`${q.type} ${q.name}`) ?? 0) + 1);
        const detail = [...kinds].map(([k, n]) => `${k} x${(n / delivered).toFixed(2)}`).join(', ');
        return [`DNS lookups per message: ${perMessage.toFixed(2)} (${detail})`];
      },
      waitDelivered: (expected, stallMs) =>
        sink
          ? pollUntil(async () => sink.received(), expected, stallMs, 'smtp-sink (relayed by Mailwerk)', () => child.exitCode === null)
          : pollUntil(async () => (await inboxStatus()).messages, expected, stallMs, 'mailwerk INBOX', () => child.exitCode === null),
      async storedBytesPerMessage() {
        if (sink) return null;
        const st = await inboxStatus();
        return st.size !== null && st.messages > 0 ? st.size / st.messages : null;
      },
      logTail: () => tail(logPath),
      stop,
      killNow,
    };
  } catch (err) {
    const logs = tail(logPath);
    await stop();
    throw new Error(`${(err as Error).message}\n${logs}`);
  }
}
