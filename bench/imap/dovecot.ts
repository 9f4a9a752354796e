/**
 * A throw-away Dovecot 2.3 instance for the IMAP benchmark (reference server).
 *
 * Prerequisite (Debian 12): `apt-get install -y dovecot-imapd` (brings dovecot-core). The system's own
 * Dovecot service is neither used nor touched: this starts a separate instance with its own configuration,
 * sockets, state, logs and maildir under a fresh temporary directory, listening on 127.0.0.1 only, and
 * removes all of it again.
 *
 * Configuration choices (see renderConfig):
 *   - one passwd-file user (bench/bench by default), `mail_location = maildir:<tmp>/mail/%u`;
 *   - `ssl = no`, `disable_plaintext_auth = no`, `login_trusted_networks` = loopback;
 *   - fsync at the default (`mail_fsync = optimized`: Dovecot fsyncs saved mail), so durability is comparable
 *     with a server that commits each APPEND;
 *   - limits raised for 1,000+ concurrent connections: `mail_max_userip_connections`, process and client
 *     limits of imap-login/imap/anvil/auth, and the open-files limit (ulimit -n) of the master;
 *   - no full-text-search plugin by default: `SEARCH TEXT` then reads and scans every message. Optionally
 *     (--fts xapian) the fts + fts_xapian plugins (Debian package dovecot-fts-xapian) index mail as it is
 *     saved, which is the fair comparison with a server that keeps a search index.
 *
 * As root it uses Dovecot's normal privilege separation (dovenull/dovecot service users, mail owned by
 * `nobody`); as an ordinary user it runs "rootless" with every service as that user.
 *
 * Standalone use (keeps running until Ctrl-C, then cleans up):
 *   npx tsx bench/imap/dovecot.ts [--port 14143] [--user bench] [--password bench] [--fts xapian] [--format sdbox]
 *       [--set 'key = value' ...]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import net from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { processTree } from './procmem.ts';

export interface DovecotOptions {
  /** Listening port on 127.0.0.1 (default: a free port chosen by the kernel). */
  port?: number;
  user?: string;
  password?: string;
  /** Full-text search: none (default, Dovecot scans messages) or xapian (needs dovecot-fts-xapian). */
  fts?: 'none' | 'xapian';
  /** Mailbox format (default maildir). */
  format?: 'maildir' | 'sdbox' | 'mdbox';
  /** Extra top-level settings ("key = value"), appended last so they override the generated ones. */
  extra?: string[];
  /** Connections the instance must accept at once (sizes the limits; default 2,000). */
  maxConnections?: number;
  /** Keep the temporary directory (config, logs, maildir) after stop(). */
  keep?: boolean;
  log?: (msg: string) => void;
}

export interface DovecotInstance {
  pid: number;
  port: number;
  user: string;
  password: string;
  dir: string;
  configPath: string;
  version: string;
  fts: 'none' | 'xapian';
  /** A few lines describing the configuration, for the report. */
  describe: string[];
  stop(): Promise<void>;
  /** Synchronous last-resort cleanup for process 'exit' handlers. */
  killNow(): void;
}

function which(cmd: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(':').concat(['/usr/sbin', '/sbin', '/usr/bin'])) {
    const p = join(dir, cmd);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

export function dovecotAvailable(): { dovecot?: string; doveconf?: string; version?: string } {
  const dovecot = which('dovecot');
  const doveconf = which('doveconf');
  if (!dovecot || !doveconf) return {};
  const v = spawnSync(dovecot, ['--version'], { encoding: 'utf8' });
  return { dovecot, doveconf, version: (v.stdout || '').trim() };
}

export const INSTALL_HINT =
  'Dovecot is not installed. It is a prerequisite of the comparison benchmark only; on Debian/Ubuntu run as root:\n' +
  '  apt-get update && apt-get install -y dovecot-imapd\n' +
  '(for --dovecot-fts xapian also: apt-get install -y dovecot-fts-xapian)';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function lookupGroupName(gid: number): string | undefined {
  try {
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[2] !== undefined && Number(f[2]) === gid) return f[0];
    }
  } catch {
    // no /etc/group
  }
  return undefined;
}

function lookupPasswd(name: string): { uid: number; gid: number } | undefined {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name) return { uid: Number(f[2]), gid: Number(f[3]) };
    }
  } catch {
    // no /etc/passwd
  }
  return undefined;
}

interface ConfigInput {
  dir: string;
  port: number;
  rootMode: boolean;
  serviceUser: string;
  serviceGroup: string;
  mailUid: number;
  fts: 'none' | 'xapian';
  format: 'maildir' | 'sdbox' | 'mdbox';
  maxConnections: number;
  extra: string[];
}

export function renderConfig(c: ConfigInput): string {
  const procs = c.maxConnections + 200;
  const clients = c.maxConnections * 4 + 1000;
  const lines = [
    '# Generated by bench/imap/dovecot.ts for the Mailwerk IMAP benchmark (temporary instance).',
    '# Dovecot 2.3 syntax. Loopback only, no TLS, plaintext LOGIN allowed.',
    `instance_name = mailwerk-bench-${c.port}`,
    `base_dir = ${c.dir}/run`,
    `state_dir = ${c.dir}/state`,
    `log_path = ${c.dir}/log/dovecot.log`,
    `info_log_path = ${c.dir}/log/dovecot.log`,
    'protocols = imap',
    'listen = 127.0.0.1',
    'ssl = no',
    'disable_plaintext_auth = no',
    'auth_mechanisms = plain login',
    'login_trusted_networks = 127.0.0.0/8 ::1/128',
    `first_valid_uid = ${Math.min(500, c.mailUid)}`,
    c.rootMode ? 'default_login_user = dovenull' : `default_login_user = ${c.serviceUser}`,
    c.rootMode ? 'default_internal_user = dovecot' : `default_internal_user = ${c.serviceUser}`,
    c.rootMode ? '' : `default_internal_group = ${c.serviceGroup}`,
    `mail_location = ${c.format}:${c.dir}/mail/%u`,
    c.fts === 'xapian' ? 'mail_plugins = $mail_plugins fts fts_xapian' : '',
    '# mail_fsync is left at its default (optimized): saved mail is fsynced.',
    '# Limits for 1,000+ simultaneous connections from 127.0.0.1:',
    `default_process_limit = ${procs}`,
    `default_client_limit = ${clients}`,
    'default_vsz_limit = 1G',
    'protocol imap {',
    `  mail_max_userip_connections = ${c.maxConnections + 100}`,
    '}',
    'passdb {',
    '  driver = passwd-file',
    `  args = scheme=PLAIN username_format=%u ${c.dir}/passwd`,
    '}',
    'userdb {',
    '  driver = passwd-file',
    `  args = username_format=%u ${c.dir}/passwd`,
    '}',
    'service imap-login {',
    '  inet_listener imap {',
    '    address = 127.0.0.1',
    `    port = ${c.port}`,
    '  }',
    '  inet_listener imaps {',
    '    port = 0',
    '  }',
    `  process_limit = ${procs}`,
    c.rootMode ? '' : '  chroot =',
    '}',
    'service imap {',
    `  process_limit = ${procs}`,
    '}',
    'service anvil {',
    `  client_limit = ${clients}`,
    c.rootMode ? '' : '  chroot =',
    '}',
    'service auth {',
    `  client_limit = ${clients}`,
    '}',
  ];
  if (c.fts === 'xapian') {
    lines.push(
      'plugin {',
      '  fts = xapian',
      '  fts_xapian = partial=3 full=20 verbose=0',
      '  fts_autoindex = yes',
      '  fts_enforced = yes',
      '}',
      'service indexer-worker {',
      '  vsz_limit = 2G',
      '}',
    );
  }
  if (c.extra.length) lines.push('# Extra settings given on the command line:', ...c.extra);
  return lines.filter((l) => l !== '').join('\n') + '\n';
}

export async function startDovecot(opts: DovecotOptions = {}): Promise<DovecotInstance> {
  const log = opts.log ?? ((m: string) => console.error(m));
  const bins = dovecotAvailable();
  if (!bins.dovecot || !bins.doveconf) throw new Error(INSTALL_HINT);
  const fts = opts.fts ?? 'none';
  const format = opts.format ?? 'maildir';
  if (fts === 'xapian' && !existsSync('/usr/lib/dovecot/modules/lib21_fts_xapian_plugin.so')) {
    throw new Error('--fts xapian needs the Debian package dovecot-fts-xapian (apt-get install -y dovecot-fts-xapian)');
  }
  const user = opts.user ?? 'bench';
  const password = opts.password ?? 'bench';
  if (/[:\n]/.test(user) || /[:\n]/.test(password)) throw new Error('user and password must not contain ":" or newlines');
  const port = opts.port ?? (await freePort());
  const maxConnections = opts.maxConnections ?? 2000;
  const extra = (opts.extra ?? []).map((e) => e.trim()).filter(Boolean);
  for (const e of extra) {
    if (!/^[a-z_][a-z0-9_]*\s*=/.test(e) || /[\n{}]/.test(e)) throw new Error(`extra Dovecot setting must look like "key = value": ${e}`);
  }

  const rootMode = process.getuid?.() === 0;
  const me = userInfo();
  let mailUid = me.uid;
  let mailGid = me.gid;
  if (rootMode) {
    for (const u of ['dovecot', 'dovenull']) {
      if (!lookupPasswd(u)) throw new Error(`system user ${u} missing: is dovecot-core installed properly?`);
    }
    const nobody = lookupPasswd('nobody');
    if (!nobody) throw new Error('user nobody not found');
    mailUid = nobody.uid;
    mailGid = nobody.gid;
  }

  const dir = mkdtempSync(join(tmpdir(), 'mailwerk-bench-dovecot-'));
  chmodSync(dir, 0o755); // the mail user (nobody) and the service users must traverse it
  for (const d of ['run', 'state', 'log', 'mail']) mkdirSync(join(dir, d));
  const mailHome = join(dir, 'mail', user);
  mkdirSync(mailHome);
  if (rootMode) {
    chownSync(join(dir, 'mail'), mailUid, mailGid);
    chownSync(mailHome, mailUid, mailGid);
  }
  writeFileSync(join(dir, 'passwd'), `${user}:{PLAIN}${password}:${mailUid}:${mailGid}::${mailHome}::\n`, { mode: 0o644 });
  const configPath = join(dir, 'dovecot.conf');
  writeFileSync(configPath, renderConfig({ dir, port, rootMode, serviceUser: me.username, serviceGroup: lookupGroupName(me.gid) ?? String(me.gid), mailUid, fts, format, maxConnections, extra }));

  let cleaned = false;
  const cleanupDir = (): void => {
    if (cleaned) return;
    cleaned = true;
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  };

  // Validate: doveconf must parse the file without errors.
  const check = spawnSync(bins.doveconf, ['-c', configPath, '-n'], { encoding: 'utf8' });
  if (check.status !== 0) {
    const msg = `doveconf rejected ${configPath}:\n${check.stderr || check.stdout}`;
    cleanupDir();
    throw new Error(msg);
  }
  if (check.stderr.trim()) log(`[dovecot] doveconf warnings: ${check.stderr.trim()}`);

  // Start the master in the foreground (-F) so that its PID is ours to measure and to stop; raise the
  // open-files limit first (each connection costs the master and the imap process descriptors).
  const outFd = openSync(join(dir, 'log', 'stderr.log'), 'a');
  const child: ChildProcess = spawn(
    '/bin/sh',
    ['-c', 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" -F -c "$1"', bins.dovecot, configPath],
    { stdio: ['ignore', outFd, outFd] },
  );
  closeSync(outFd);
  const pid = child.pid;
  if (pid === undefined) {
    cleanupDir();
    throw new Error('could not start dovecot');
  }
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });

  /** PIDs of the instance seen so far (for the final sweep after the master is gone). */
  const known = new Set<number>([pid]);
  const remember = (): void => {
    if (exited) return;
    try {
      for (const p of processTree(pid)) known.add(p);
    } catch {
      // /proc race
    }
  };
  const isOurs = (p: number): boolean => {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'latin1');
      const name = readFileSync(`/proc/${p}/comm`, 'latin1').trim();
      return cmd.includes(dir) || /^(dovecot|imap|imap-login|auth|anvil|log|config|stats|indexer|indexer-worker|dict|doveadm|lmtp|pop3)$/.test(name);
    } catch {
      return false;
    }
  };
  const killNow = (): void => {
    remember();
    for (const p of known) {
      if (isOurs(p)) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    cleanupDir();
  };
  const stop = async (): Promise<void> => {
    remember();
    if (!exited) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // gone
      }
      for (let i = 0; i < 100 && !exited; i++) await sleep(100);
      if (!exited) log('[dovecot] master did not stop within 10 s: killing');
    }
    // Children that outlive the master (they normally exit with it) are killed; wait for them to go.
    for (let round = 0; round < 50; round++) {
      const alive = [...known].filter((p) => existsSync(`/proc/${p}`) && isOurs(p));
      if (alive.length === 0) break;
      for (const p of alive) {
        try {
          process.kill(p, round === 0 && exited ? 'SIGTERM' : 'SIGKILL');
        } catch {
          // gone
        }
      }
      await sleep(100);
    }
    cleanupDir();
  };

  // Wait for the greeting.
  const deadline = Date.now() + 20_000;
  let greeting = '';
  while (Date.now() < deadline && !exited) {
    greeting = await new Promise<string>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      const t = setTimeout(() => {
        s.destroy();
        resolve('');
      }, 2000);
      s.once('data', (d) => {
        clearTimeout(t);
        s.destroy();
        resolve(d.toString('latin1'));
      });
      s.once('error', () => {
        clearTimeout(t);
        s.destroy();
        resolve('');
      });
    });
    if (greeting.startsWith('* OK')) break;
    await sleep(100);
  }
  if (!greeting.startsWith('* OK')) {
    let logs = '';
    for (const f of ['dovecot.log', 'stderr.log']) {
      try {
        logs += readFileSync(join(dir, 'log', f), 'utf8').split('\n').slice(-20).join('\n');
      } catch {
        // none
      }
    }
    await stop();
    throw new Error(`dovecot did not come up on 127.0.0.1:${port}${exited ? ' (it exited)' : ''}\n${logs}`);
  }
  remember();

  const describe = [
    `Dovecot ${bins.version} on 127.0.0.1:${port}, ${rootMode ? 'privilege-separated (run as root)' : 'rootless'}, config ${configPath}`,
    `${format} under ${dir}/mail, mail_fsync=optimized (default), ssl=no, passwd-file user ${user}`,
    fts === 'xapian'
      ? 'full-text search: fts + fts_xapian (fts_autoindex=yes: indexed while saving)'
      : 'full-text search: none (SEARCH TEXT scans message bodies)',
    ...(extra.length ? [`extra settings: ${extra.join('; ')}`] : []),
    `limits: imap/imap-login process_limit ${maxConnections + 200}, mail_max_userip_connections ${maxConnections + 100}, ulimit -n raised`,
  ];
  log(`[dovecot] up: pid ${pid}, port ${port}, dir ${dir}`);
  return { pid, port, user, password, dir, configPath, version: bins.version ?? '?', fts, describe, stop, killNow };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      user: { type: 'string', default: 'bench' },
      password: { type: 'string', default: 'bench' },
      fts: { type: 'string', default: 'none' },
      format: { type: 'string', default: 'maildir' },
      set: { type: 'string', multiple: true, default: [] },
      keep: { type: 'boolean', default: false },
    },
  });
  if (values.fts !== 'none' && values.fts !== 'xapian') throw new Error('--fts must be none or xapian');
  const format = values.format;
  if (format !== 'maildir' && format !== 'sdbox' && format !== 'mdbox') throw new Error('--format must be maildir, sdbox or mdbox');
  const dc = await startDovecot({
    port: values.port ? Number(values.port) : undefined,
    user: values.user,
    password: values.password,
    fts: values.fts,
    format,
    extra: values.set,
    keep: values.keep,
  });
  process.on('exit', () => dc.killNow());
  console.log(dc.describe.join('\n'));
  console.log(`PID ${dc.pid}. Ctrl-C stops it and removes ${dc.dir}${values.keep ? ' (kept: --keep)' : ''}.`);
  // Keep the handlers installed: a second signal (e.g. `timeout` signals the whole process group, and the
  // tsx wrapper relays it again) must not kill us halfway through the cleanup.
  await new Promise<void>((resolve) => {
    process.on('SIGINT', () => resolve());
    process.on('SIGTERM', () => resolve());
    process.on('SIGHUP', () => resolve());
  });
  await dc.stop();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(
    () => process.exit(0),
    (err: Error) => {
      console.error(err.message);
      process.exit(1);
    },
  );
}
