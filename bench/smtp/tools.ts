/** Small helpers: locating Postfix's programs, waiting for an SMTP greeting, reading a log's tail. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export { freePort } from '../imap/dovecot.ts';

export const INSTALL_HINT =
  'Postfix is needed for smtp-source/smtp-sink and the comparison. As root:\n' +
  '  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections\n' +
  '  DEBIAN_FRONTEND=noninteractive apt-get install -y postfix\n' +
  'The system Postfix is not configured or started by this; the benchmark runs its own instance.';

/** Debian installs these under /usr/sbin, which is not on every PATH. */
export function findProgram(name: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/sbin', '/sbin']) {
    const p = `${dir}/${name}`;
    if (existsSync(p)) return p;
  }
  return undefined;
}

export function requireProgram(name: string): string {
  const p = findProgram(name);
  if (!p) throw new Error(`${name} not found.\n${INSTALL_HINT}`);
  return p;
}

/** Runs a command to completion; throws with its output when it fails. */
export function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr || r.stdout}`);
  return r.stdout;
}

/** Resolves once something on host:port answers with an SMTP 220 greeting. */
export async function waitForGreeting(host: string, port: number, timeoutMs: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`the server on ${host}:${port} exited before greeting`);
    const line = await new Promise<string>((resolve) => {
      const s = net.connect({ host, port });
      const done = (text: string): void => {
        clearTimeout(timer);
        s.destroy();
        resolve(text);
      };
      const timer = setTimeout(() => done(''), 2000);
      s.once('data', (d) => done(d.toString('latin1')));
      s.once('error', () => done(''));
    });
    if (line.startsWith('220')) return;
    await sleep(100);
  }
  throw new Error(`no SMTP greeting on ${host}:${port} within ${timeoutMs} ms`);
}

export function tail(path: string, lines = 15): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-lines - 1).join('\n');
  } catch {
    return `(no ${path})`;
  }
}

/** Whether a process exists (a zombie counts as gone). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}

/**
 * Polls `count` until it reaches `expected`; fails when it has not grown for `stallMs`. Returns the count.
 * Polling (not inotify) keeps it the same for every destination; it starts only after smtp-source has
 * finished, so it does not compete with the server for the CPU during the load.
 */
export async function pollUntil(
  count: () => number | Promise<number>,
  expected: number,
  stallMs: number,
  what: string,
  stillRunning: () => boolean = () => true,
): Promise<number> {
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const n = await count();
    if (n >= expected) return n;
    if (n !== last) {
      last = n;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > stallMs) {
      throw new Error(`${what}: stuck at ${n} of ${expected} for ${Math.round(stallMs / 1000)} s`);
    }
    if (!stillRunning()) throw new Error(`${what}: the server died at ${n} of ${expected}`);
    await sleep(50);
  }
}
