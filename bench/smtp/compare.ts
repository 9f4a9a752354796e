/**
 * `npm run bench:smtp`: accepted-and-stored messages per second for Mailwerk's inbound SMTP server and a
 * private Postfix delivering to Maildir, measured in the same run with the same load generator (Postfix's
 * smtp-source), then a side-by-side table and the ratio Mailwerk/Postfix.
 *
 * Each server is started fresh, measured, stopped and deleted before the next one starts, so the two never
 * compete for the machine. See bench/smtp/README.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startMailwerk } from './mailwerk.ts';
import { measure } from './measure.ts';
import { startPostfix } from './postfix.ts';
import { formatReport, type Outcomes } from './report.ts';
import { INSTALL_HINT, findProgram } from './tools.ts';
import { MODES, SERVERS, type LoadSpec, type Mode, type ServerName, type SetupOptions, type SmtpTarget, type Unavailable } from './types.ts';

const USAGE = `usage: npm run bench:smtp -- [options]
  --mode local|relay      local: into a local mailbox (default); relay: through the outbound queue to smtp-sink
  --messages N            messages to send (default 10000)
  --sessions N            parallel SMTP sessions (default 20)
  --size BYTES            body bytes per message, smtp-source -l (default 4096; headers add ~120)
  --only mailwerk|postfix measure one server only
  --reuse-connections     send all of a session's messages over one connection (smtp-source -d);
                          default: one connection per message, as smtp-source does by default
  --runs N                repeat the measurement N times, alternating the order (default 1)
  --mailwerk-log-level L  MAILWERK_LOG_LEVEL for the measured server (default info, as in production)
  --mailwerk-dns D        DNS for Mailwerk's SPF/DKIM/DMARC checks: stub (default; a local server with the
                          sender domain's records, answering at once), system, or HOST:PORT
  --sample-ms MS          memory sampling interval, 0 = off (default 500)
  --stall-timeout S       fail when delivery makes no progress for S seconds (default 60)
  --time-limit S          kill smtp-source after S seconds (default 1800)
  --keep-dirs             keep the servers' temp dirs (config, logs, mail) for inspection
  --json PATH             also write all measurements as JSON`;

function positiveInt(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${v}`);
  return n;
}

/** The running server, so a signal or a crash of this process stops it too. */
let current: SmtpTarget | undefined;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      mode: { type: 'string', default: 'local' },
      messages: { type: 'string', default: '10000' },
      sessions: { type: 'string', default: '20' },
      size: { type: 'string', default: '4096' },
      only: { type: 'string' },
      'reuse-connections': { type: 'boolean', default: false },
      runs: { type: 'string', default: '1' },
      'mailwerk-log-level': { type: 'string', default: 'info' },
      'mailwerk-dns': { type: 'string', default: 'stub' },
      'sample-ms': { type: 'string', default: '500' },
      'stall-timeout': { type: 'string', default: '60' },
      'time-limit': { type: 'string', default: '1800' },
      'keep-dirs': { type: 'boolean', default: false },
      json: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const mode = values.mode as Mode;
  if (!MODES.includes(mode)) throw new Error(`--mode must be one of ${MODES.join(', ')}`);
  const only = values.only as ServerName | undefined;
  if (only !== undefined && !SERVERS.includes(only)) throw new Error(`--only must be one of ${SERVERS.join(', ')}`);
  if (!findProgram('smtp-source')) {
    console.error(INSTALL_HINT);
    return 2;
  }
  const load: LoadSpec = {
    messages: positiveInt('messages', values.messages),
    sessions: positiveInt('sessions', values.sessions),
    size: positiveInt('size', values.size),
    reuseConnections: values['reuse-connections'],
    sender: 'sender@bench.test',
  };
  const dns = values['mailwerk-dns'];
  if (dns !== 'stub' && dns !== 'system' && !/^[0-9a-f.:[\]]+:\d+$/i.test(dns)) throw new Error('--mailwerk-dns must be stub, system or HOST:PORT');
  const runs = positiveInt('runs', values.runs);
  const sampleMs = Number(values['sample-ms']);
  if (!(sampleMs >= 0)) throw new Error('--sample-ms must be 0 or more');
  const log = (line: string): void => console.error(line);
  const setup: SetupOptions = { mode, load, keepDir: values['keep-dirs'], log };
  const starters: Record<ServerName, () => Promise<SmtpTarget | Unavailable>> = {
    mailwerk: () => startMailwerk({ ...setup, logLevel: values['mailwerk-log-level'], dns: values['mailwerk-dns'] }),
    postfix: () => startPostfix(setup),
  };

  const outcomes: Outcomes = {
    mailwerk: { runs: [], skipped: only === 'postfix' },
    postfix: { runs: [], skipped: only === 'mailwerk' },
  };
  for (let run = 1; run <= runs; run++) {
    // Postfix first as in bench:imap; alternate on later runs so slow drift of the machine hits both.
    const order: ServerName[] = run % 2 === 1 ? ['postfix', 'mailwerk'] : ['mailwerk', 'postfix'];
    for (const server of order) {
      const o = outcomes[server];
      if (o.skipped || o.unavailable || o.failure) continue;
      log(`[bench:smtp] run ${run}/${runs}: ${server}, ${mode}`);
      try {
        const m = await measure({
          server,
          mode,
          run,
          load,
          start: starters[server],
          sampleMs,
          stallMs: Number(values['stall-timeout']) * 1000,
          timeLimitMs: Number(values['time-limit']) * 1000,
          log,
          track: (t) => (current = t),
        });
        if ('unavailable' in m) o.unavailable = m.unavailable;
        else {
          o.runs.push(m);
          log(`[${server}] ${m.delivered} messages in ${(m.deliveredMs / 1000).toFixed(2)} s = ${(m.delivered / (m.deliveredMs / 1000)).toFixed(1)} msg/s`);
        }
      } catch (err) {
        o.failure = (err as Error).message;
        log(`[${server}] FAILED: ${o.failure}`);
      }
    }
  }

  console.log(formatReport(mode, load, outcomes));
  if (values.json) {
    const out = resolve(values.json);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify({ mode, load, runs, outcomes }, null, 2) + '\n');
    console.log(`\nresults: ${out}`);
  }
  return outcomes.mailwerk.failure || outcomes.postfix.failure ? 1 : 0;
}

// Whatever happens, the server under test dies with us and its temp dir goes.
process.on('exit', () => current?.killNow());
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    console.error(`received ${sig}: stopping the server under test`);
    (current ? current.stop() : Promise.resolve()).finally(() => process.exit(130));
  });
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`bench:smtp failed: ${err.message}`);
    process.exit(1);
  },
);
