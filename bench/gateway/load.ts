/**
 * Loads the benchmark folder with the IMAP benchmark's deterministic corpus (bench/imap/corpus.ts), APPENDed
 * over several parallel IMAPS connections with imapflow. Messages are generated one at a time as the
 * connections ask for them, so the 1.1 GB corpus of 100,000 messages is never held in memory at once.
 */
import { ImapFlow } from 'imapflow';
import { CorpusGenerator } from '../imap/corpus.ts';
import { round, summarize, type LatencySummary } from './stats.ts';

export interface ImapTarget {
  port: number;
  ca: string;
  user: string;
  password: string;
}

/** An imapflow client as any IMAP client would make it: IMAPS, the server's certificate trusted, verified. */
export function imapClient(t: ImapTarget): ImapFlow {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: t.port,
    secure: true,
    servername: 'localhost',
    tls: { ca: [t.ca], servername: 'localhost', rejectUnauthorized: true },
    auth: { user: t.user, pass: t.password },
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 10 * 60_000,
  });
  client.on('error', () => undefined); // failures surface as rejected commands
  return client;
}

export interface LoadResult {
  skipped: boolean;
  folder: string;
  messagesBefore: number;
  appended: number;
  bytes: number;
  parallel: number;
  seconds: number | null;
  messagesPerSec: number | null;
  mbPerSec: number | null;
  appendLatencyMs: LatencySummary | null;
  messagesAfter: number;
  unseenAfter: number;
}

export interface LoadOptions {
  target: ImapTarget;
  folder: string;
  messages: number;
  seed: string;
  parallel: number;
  log: (m: string) => void;
}

async function folderStatus(target: ImapTarget, folder: string): Promise<{ exists: boolean; messages: number; unseen: number }> {
  const client = imapClient(target);
  await client.connect();
  try {
    const list = await client.list();
    if (!list.some((f) => f.path === folder)) return { exists: false, messages: 0, unseen: 0 };
    const status = await client.status(folder, { messages: true, unseen: true });
    if (!status) throw new Error(`STATUS ${folder} failed`);
    return { exists: true, messages: status.messages ?? 0, unseen: status.unseen ?? 0 };
  } finally {
    await client.logout().catch(() => undefined);
  }
}

export async function loadFolder(o: LoadOptions): Promise<LoadResult> {
  const { target, folder, log } = o;
  const before = await folderStatus(target, folder);
  const result: LoadResult = {
    skipped: false,
    folder,
    messagesBefore: before.messages,
    appended: 0,
    bytes: 0,
    parallel: o.parallel,
    seconds: null,
    messagesPerSec: null,
    mbPerSec: null,
    appendLatencyMs: null,
    messagesAfter: before.messages,
    unseenAfter: before.unseen,
  };
  if (before.messages === o.messages) {
    log(`folder ${folder} already holds ${before.messages} messages: not loading again`);
    result.skipped = true;
    return result;
  }
  if (before.messages !== 0) {
    throw new Error(
      `folder ${folder} holds ${before.messages} messages, not 0 or ${o.messages}: use another --folder or a fresh --data directory`,
    );
  }
  if (!before.exists) {
    const c = imapClient(target);
    await c.connect();
    await c.mailboxCreate(folder);
    await c.logout().catch(() => undefined);
  }

  const generator = new CorpusGenerator({ messages: o.messages, seed: o.seed });
  const workers = await Promise.all(
    Array.from({ length: o.parallel }, async () => {
      const c = imapClient(target);
      await c.connect();
      return c;
    }),
  );
  log(`APPEND ${o.messages.toLocaleString('en-US')} messages to ${folder} over ${o.parallel} IMAPS connections (imapflow) ...`);
  const latencies: number[] = [];
  let next = 0;
  let done = 0;
  let bytes = 0;
  let failure: Error | undefined;
  const t0 = performance.now();
  let lastDone = 0;
  let lastAt = t0;
  const progress = setInterval(() => {
    const now = performance.now();
    const rate = ((done - lastDone) * 1000) / (now - lastAt);
    const avg = (done * 1000) / (now - t0);
    const eta = avg > 0 ? (o.messages - done) / avg : NaN;
    log(
      `  loaded ${done.toLocaleString('en-US')}/${o.messages.toLocaleString('en-US')} ` +
        `(${((100 * done) / o.messages).toFixed(1)}%), now ${rate.toFixed(0)} msg/s, average ${avg.toFixed(0)} msg/s, ` +
        `${(bytes / 1e6).toFixed(0)} MB, ETA ${Number.isFinite(eta) ? `${Math.ceil(eta)} s` : '?'}`,
    );
    lastDone = done;
    lastAt = now;
  }, 5000);
  const work = async (client: ImapFlow): Promise<void> => {
    while (next < o.messages && !failure) {
      next++;
      const m = generator.next(); // generated in corpus order, synchronously with taking the index
      const s = performance.now();
      try {
        await client.append(folder, m.raw, m.flags, m.internalDate);
      } catch (err) {
        failure ??= new Error(`APPEND failed after ${done} messages: ${(err as Error).message}`);
        return;
      }
      latencies.push(performance.now() - s);
      done++;
      bytes += m.raw.length;
    }
  };
  try {
    await Promise.all(workers.map(work));
  } finally {
    clearInterval(progress);
    await Promise.all(workers.map((c) => c.logout().catch(() => c.close())));
  }
  if (failure) throw failure;
  const seconds = (performance.now() - t0) / 1000;
  const after = await folderStatus(target, folder);
  Object.assign(result, {
    appended: done,
    bytes,
    seconds: round(seconds, 1),
    messagesPerSec: round(done / seconds, 0),
    mbPerSec: round(bytes / 1e6 / seconds, 1),
    appendLatencyMs: summarize(latencies),
    messagesAfter: after.messages,
    unseenAfter: after.unseen,
  });
  log(
    `loaded ${done.toLocaleString('en-US')} messages (${(bytes / 1e6).toFixed(0)} MB) in ${seconds.toFixed(1)} s: ` +
      `${result.messagesPerSec} msg/s, ${result.mbPerSec} MB/s; folder now ${after.messages} messages, ${after.unseen} unseen`,
  );
  if (after.messages !== o.messages) throw new Error(`folder holds ${after.messages} messages after loading ${o.messages}`);
  return result;
}
