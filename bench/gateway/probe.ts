/**
 * Where the gateway's first page spends its time: runs the gateway's own code (server/mail/*: the same
 * imapflow settings, listPage, newestUids, fetchSummaries, countMatching) in this process against a server on
 * a kept data directory, and times every IMAP command it sends. Because the gateway code runs here and not
 * inside the mailwerk process, the difference to the HTTP figures of compare.ts is what the HTTP layer, JSON
 * and sharing one event loop with the IMAP server add.
 *
 *   npx tsx bench/gateway/probe.ts --data /tmp/gw-bench-100k [--runs 10] [--folder INBOX]
 *
 * The data directory must hold a loaded folder (run compare.ts with the same --data first).
 */
import { createSecureContext } from 'node:tls';
import { parseArgs } from 'node:util';
import type { ImapFlow } from 'imapflow';
import { connectClient, createImapClient, PooledImapConnection, type ImapEndpoint } from '../../server/mail/imap-connection.ts';
import { rootCertificates } from 'node:tls';
import { countMatching, listPage, newestUids } from '../../server/mail/message-list.ts';
import { fetchSummaries } from '../../server/mail/summaries.ts';
import { ensureUser, startBenchServer } from './server.ts';
import { ms, summarize, table } from './stats.ts';

interface Timed {
  label: string;
  ms: number;
}

/** Time every command imapflow sends on this client (exec resolves on the tagged response). */
function instrument(client: ImapFlow, sink: Timed[]): void {
  const c = client as unknown as { exec: (command: string, attributes?: unknown, options?: unknown) => Promise<unknown> };
  const exec = c.exec.bind(client);
  c.exec = async (command, attributes, options) => {
    const text = JSON.stringify(attributes ?? []);
    let label = command;
    if (command === 'UID FETCH' || command === 'FETCH') label += /BODY\.PEEK|"BODY"/i.test(text) && !/ENVELOPE/.test(text) ? ' (preview part)' : ' (summary items)';
    if (command === 'UID SEARCH' || command === 'SEARCH') label += /UNSEEN|"SEEN"/i.test(text) ? ' (UNSEEN count)' : ' (UID window)';
    const s = performance.now();
    try {
      return await exec(command, attributes, options);
    } finally {
      sink.push({ label, ms: performance.now() - s });
    }
  };
}

function group(samples: Timed[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const t of samples) {
    const list = m.get(t.label) ?? [];
    list.push(t.ms);
    m.set(t.label, list);
  }
  return m;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      runs: { type: 'string', default: '10' },
      folder: { type: 'string', default: 'INBOX' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || !values.data) {
    console.log('usage: npx tsx bench/gateway/probe.ts --data DIR [--runs 10] [--folder INBOX]');
    return;
  }
  const runs = Number(values.runs);
  const folder = values.folder;
  const log = (m: string) => console.error(m);
  const server = await startBenchServer(values.data, log);
  try {
    const user = `bench@${server.domain}`;
    const password = 'bench-password-1';
    await ensureUser(server, user, password, '16G');
    // Exactly what mailserver/runtime/webmail.ts gives the gateway.
    const endpoint: ImapEndpoint = { host: '127.0.0.1', port: server.ports.imaps!, implicitTls: true, servername: 'localhost', ca: server.ca };

    // 1. TLS trust: what building the context of Node's ~140 public roots plus the server's certificate costs (the
    //    gateway now builds it once per anchor; before, every connect paid it).
    const ctxMs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const s = performance.now();
      createSecureContext({ ca: [...rootCertificates, server.ca], minVersion: 'TLSv1.2' });
      ctxMs.push(performance.now() - s);
    }
    const ctxOnly: number[] = [];
    for (let i = 0; i < 20; i++) {
      const s = performance.now();
      createSecureContext({ ca: [server.ca], minVersion: 'TLSv1.2' });
      ctxOnly.push(performance.now() - s);
    }

    const coldCmds: Timed[] = [];
    const warmCmds: Timed[] = [];
    const loginCmds: Timed[] = [];
    const steps: Record<string, number[]> = { connect: [], 'listPage cold': [], 'listPage warm': [], 'newestUids (warm)': [], 'fetchSummaries (warm)': [], 'countMatching UNSEEN (warm)': [] };
    for (let r = 0; r < runs; r++) {
      const client = createImapClient(endpoint, { user, pass: password });
      instrumentSwap(client, loginCmds);
      let s = performance.now();
      await connectClient(client);
      steps.connect!.push(performance.now() - s);
      const pooled = new PooledImapConnection(endpoint, { user, pass: password });
      pooled.adopt(client);

      const cold: Timed[] = [];
      instrumentSwap(client, cold);
      s = performance.now();
      const page = await listPage(pooled, folder, { limit: 50 }, new Map());
      steps['listPage cold']!.push(performance.now() - s);
      coldCmds.push(...cold);
      if (page.messages.length === 0) throw new Error(`${folder} is empty: load it with compare.ts --data first`);

      const warm: Timed[] = [];
      instrumentSwap(client, warm);
      for (let w = 0; w < 3; w++) {
        s = performance.now();
        await listPage(pooled, folder, { limit: 50 }, new Map());
        steps['listPage warm']!.push(performance.now() - s);
      }
      warmCmds.push(...warm);

      // The three parts of listPage separately (folder still selected).
      await pooled.inMailbox(folder, async (c) => {
        const box = c.mailbox as { uidNext: number };
        let t = performance.now();
        const { uids } = await newestUids(c, box.uidNext - 1, 50);
        steps['newestUids (warm)']!.push(performance.now() - t);
        t = performance.now();
        await fetchSummaries(c, folder, uids);
        steps['fetchSummaries (warm)']!.push(performance.now() - t);
        t = performance.now();
        await countMatching(c, { seen: false });
        steps['countMatching UNSEEN (warm)']!.push(performance.now() - t);
      });
      await pooled.close();
      log(`  run ${r + 1}/${runs}: connect ${steps.connect!.at(-1)!.toFixed(1)} ms, listPage cold ${steps['listPage cold']!.at(-1)!.toFixed(1)} ms`);
    }

    console.log(`\nGateway code path, run in the benchmark process against mailwerk PID ${server.pid} (${runs} runs)\n`);
    console.log(
      table(
        ['step', 'median', 'p95', 'max'],
        [
          ['createSecureContext(public roots + server cert)', ms(summarize(ctxMs).median), ms(summarize(ctxMs).p95), ms(summarize(ctxMs).max)],
          ['createSecureContext(server cert only)', ms(summarize(ctxOnly).median), ms(summarize(ctxOnly).p95), ms(summarize(ctxOnly).max)],
          ...Object.entries(steps).map(([k, v]) => {
            const x = summarize(v);
            return [k, ms(x.median), ms(x.p95), ms(x.max)];
          }),
        ],
      ),
    );
    for (const [title, cmds] of [
      ['IMAP commands of connect (login)', loginCmds],
      ['IMAP commands of a cold listPage (first request of a session)', coldCmds],
      ['IMAP commands of a warm listPage', warmCmds],
    ] as const) {
      console.log(`\n${title}:`);
      const rows = [...group(cmds)].map(([label, v]) => {
        const x = summarize(v);
        return [label, String(Math.round(v.length / runs / (title.includes('warm') ? 3 : 1))), ms(x.median), ms(x.p95), ms(x.max)];
      });
      console.log(table(['command', 'per request', 'median', 'p95', 'max'], rows));
    }
  } finally {
    await server.shutdown();
  }
}

/** Point the instrumented client at a new sink (instrument() once, swap the array afterwards). */
const sinks = new WeakMap<ImapFlow, { current: Timed[] }>();
function instrumentSwap(client: ImapFlow, sink: Timed[]): void {
  let holder = sinks.get(client);
  if (!holder) {
    holder = { current: sink };
    sinks.set(client, holder);
    const h = holder;
    const proxy: Timed[] = new Proxy([], { get: (_t, p) => (p === 'push' ? (...x: Timed[]) => h.current.push(...x) : undefined) });
    instrument(client, proxy);
  }
  holder.current = sink;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
