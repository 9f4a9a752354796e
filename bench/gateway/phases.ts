/**
 * The measured work, once through the gateway (HTTP, JSON, one IMAP connection per session inside the
 * server) and once as the peer: the same pages fetched directly over IMAP with imapflow.
 */
import type { ImapFlow } from 'imapflow';
import { folderUrl, GatewayClient } from '../../e2e/gateway-client.ts';
import type { MessagePage } from '../../shared/messages.ts';
import { imapClient, type ImapTarget } from './load.ts';
import { round, summarize, type LatencySummary } from './stats.ts';

export interface FirstPageResult {
  runs: number;
  warmPerRun: number;
  /** Gateway: POST /api/session; IMAP: connect + TLS + LOGIN (imapflow's connect()). */
  loginMs: LatencySummary;
  /** The first page on a fresh session: gateway GET only; IMAP SELECT + FETCH. */
  coldMs: LatencySummary;
  /** The same request again on the same session. */
  warmMs: LatencySummary;
  /** Cold, login included (a user's "open the web mail / open the mail app" time). */
  coldWithLoginMs: LatencySummary;
  coldSamples: number[];
}

export interface ThroughputResult {
  sessions: number;
  depth: number;
  seconds: number;
  requests: number;
  errors: number;
  firstError: string | null;
  requestsPerSec: number;
  latencyMs: LatencySummary;
  firstPageMs: LatencySummary;
  deeperPageMs: LatencySummary;
  /** Time to set up the sessions (log in all of them, one warm-up first page each). */
  setupSeconds: number;
}

export interface PhaseHooks {
  /** Called with all sessions logged in and warmed up, right before the clock starts. */
  beforeRun?: () => void | Promise<void>;
  /** Called right after the clock stops, sessions still open. */
  afterRun?: () => void | Promise<void>;
  log: (m: string) => void;
}

export interface PageCheck {
  folder: string;
  limit: number;
  messages: number;
}

// ---------------------------------------------------------------------------------------------------------
// Gateway
// ---------------------------------------------------------------------------------------------------------

export interface GatewayTarget {
  base: string;
  user: string;
  password: string;
}

function pagePath(folder: string, limit: number, before?: number | null): string {
  return `${folderUrl(folder)}/messages?limit=${limit}${before ? `&before=${before}` : ''}`;
}

async function gatewayLogin(t: GatewayTarget): Promise<GatewayClient> {
  const client = new GatewayClient(t.base);
  const r = await client.login(t.user, t.password);
  if (r.status !== 201) throw new Error(`gateway login: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return client;
}

async function gatewayLogout(client: GatewayClient): Promise<void> {
  await client.request('DELETE', '/api/session').catch(() => undefined);
}

async function getPage(client: GatewayClient, check: PageCheck, before?: number | null): Promise<MessagePage> {
  const r = await client.get<MessagePage>(pagePath(check.folder, check.limit, before));
  if (r.status !== 200) throw new Error(`GET page: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  const page = r.body;
  const expected = Math.min(check.limit, check.messages);
  if (!before && (page.messages.length !== expected || page.total !== check.messages)) {
    throw new Error(`first page has ${page.messages.length} messages (total ${page.total}); expected ${expected} of ${check.messages}`);
  }
  return page;
}

/** One fresh session: login, the first page (cold), then `warm` repeats. */
export interface FirstPageRun {
  loginMs: number;
  coldMs: number;
  warmMs: number[];
}

export async function gatewayFirstPageRun(t: GatewayTarget, check: PageCheck, warm: number): Promise<FirstPageRun> {
  const t0 = performance.now();
  const client = await gatewayLogin(t);
  const t1 = performance.now();
  await getPage(client, check);
  const t2 = performance.now();
  const warmMs: number[] = [];
  for (let w = 0; w < warm; w++) {
    const s = performance.now();
    await getPage(client, check);
    warmMs.push(performance.now() - s);
  }
  await gatewayLogout(client);
  return { loginMs: t1 - t0, coldMs: t2 - t1, warmMs };
}

export function summarizeRuns(runs: FirstPageRun[], warm: number): FirstPageResult {
  return {
    runs: runs.length,
    warmPerRun: warm,
    loginMs: summarize(runs.map((r) => r.loginMs)),
    coldMs: summarize(runs.map((r) => r.coldMs)),
    warmMs: summarize(runs.flatMap((r) => r.warmMs)),
    coldWithLoginMs: summarize(runs.map((r) => r.loginMs + r.coldMs)),
    coldSamples: runs.map((r) => round(r.coldMs, 2)),
  };
}

interface Loop {
  deadline: number;
  depth: number;
  first: number[];
  deeper: number[];
  errors: number;
  firstError: string | null;
}

async function runLoops<S>(sessions: S[], seconds: number, depth: number, hooks: PhaseHooks, page: (s: S, index: number, cursor: unknown) => Promise<unknown>): Promise<Omit<ThroughputResult, 'setupSeconds' | 'sessions'>> {
  await hooks.beforeRun?.();
  const loop: Loop = { deadline: 0, depth, first: [], deeper: [], errors: 0, firstError: null };
  const t0 = performance.now();
  loop.deadline = t0 + seconds * 1000;
  const progress = setInterval(() => {
    const elapsed = (performance.now() - t0) / 1000;
    const n = loop.first.length + loop.deeper.length;
    hooks.log(`  ${elapsed.toFixed(0)} s: ${n} requests, ${(n / elapsed).toFixed(1)}/s, ${loop.errors} errors`);
  }, 5000);
  await Promise.all(
    sessions.map(async (s) => {
      while (performance.now() < loop.deadline) {
        let cursor: unknown = null;
        for (let k = 0; k <= depth && performance.now() < loop.deadline; k++) {
          const start = performance.now();
          try {
            cursor = await page(s, k, cursor);
          } catch (err) {
            loop.errors++;
            loop.firstError ??= (err as Error).message;
            break;
          }
          (k === 0 ? loop.first : loop.deeper).push(performance.now() - start);
          if (cursor === null) break;
        }
        if (loop.errors > 1000) return;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  clearInterval(progress);
  await hooks.afterRun?.();
  const all = [...loop.first, ...loop.deeper];
  return {
    depth,
    seconds: round(elapsed, 2),
    requests: all.length,
    errors: loop.errors,
    firstError: loop.firstError,
    requestsPerSec: round(all.length / elapsed, 1),
    latencyMs: summarize(all),
    firstPageMs: summarize(loop.first),
    deeperPageMs: summarize(loop.deeper),
  };
}

/** Run `fn` over items with at most `limit` in flight. */
async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i] as T);
      }
    }),
  );
  return out;
}

export async function gatewayThroughput(t: GatewayTarget, check: PageCheck, sessions: number, seconds: number, depth: number, hooks: PhaseHooks): Promise<ThroughputResult> {
  const s0 = performance.now();
  hooks.log(`  logging in ${sessions} gateway sessions and loading one first page each ...`);
  const clients = await pool(Array.from({ length: sessions }, (_, i) => i), 10, async () => {
    const c = await gatewayLogin(t);
    await getPage(c, check);
    return c;
  });
  const setupSeconds = round((performance.now() - s0) / 1000, 2);
  try {
    const result = await runLoops(clients, seconds, depth, hooks, async (c, k, cursor) => {
      const page = await getPage(c, check, k === 0 ? null : (cursor as number));
      return page.nextCursor;
    });
    return { sessions, setupSeconds, ...result };
  } finally {
    await pool(clients, 10, gatewayLogout);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Direct IMAP (the peer)
// ---------------------------------------------------------------------------------------------------------

/** What an IMAP client fetches for a message list: the metadata plus the first KB of part 1 for a preview. */
export const PEER_QUERY = {
  uid: true,
  flags: true,
  envelope: true,
  bodyStructure: true,
  size: true,
  internalDate: true,
  bodyParts: [{ key: '1', start: 0, maxLength: 1024 }],
};

/** Sequence range of page k (0 = newest) of `limit` messages in a folder of `exists` messages. */
export function seqRange(exists: number, limit: number, k: number): string | null {
  const top = exists - k * limit;
  if (top < 1) return null;
  const bottom = Math.max(1, top - limit + 1);
  return k === 0 ? `${bottom}:*` : `${bottom}:${top}`;
}

async function imapPage(client: ImapFlow, exists: number, limit: number, k: number): Promise<number> {
  const range = seqRange(exists, limit, k);
  if (!range) return 0;
  const messages = await client.fetchAll(range, PEER_QUERY);
  const expected = Math.min(limit, exists - k * limit);
  if (messages.length !== expected) throw new Error(`IMAP page ${k}: ${messages.length} messages, expected ${expected}`);
  return messages.length;
}

async function imapOpen(target: ImapTarget, folder: string): Promise<{ client: ImapFlow; exists: number }> {
  const client = imapClient(target);
  await client.connect();
  const box = await client.mailboxOpen(folder, { readOnly: false });
  return { client, exists: box.exists };
}

export async function imapFirstPageRun(target: ImapTarget, check: PageCheck, warm: number): Promise<FirstPageRun> {
  const t0 = performance.now();
  const client = imapClient(target);
  await client.connect();
  const t1 = performance.now();
  const box = await client.mailboxOpen(check.folder);
  if (box.exists !== check.messages) throw new Error(`${check.folder} has ${box.exists} messages, expected ${check.messages}`);
  await imapPage(client, box.exists, check.limit, 0);
  const t2 = performance.now();
  const warmMs: number[] = [];
  for (let w = 0; w < warm; w++) {
    const s = performance.now();
    await imapPage(client, box.exists, check.limit, 0);
    warmMs.push(performance.now() - s);
  }
  await client.logout().catch(() => client.close());
  return { loginMs: t1 - t0, coldMs: t2 - t1, warmMs };
}

/**
 * The first SELECT + page after the server started (its per-mailbox UID cache is empty then), done before
 * the measured runs so that neither side gets that cost by coming first.
 */
export async function primeServer(target: ImapTarget, check: PageCheck): Promise<number> {
  const client = imapClient(target);
  await client.connect();
  try {
    const s = performance.now();
    const box = await client.mailboxOpen(check.folder);
    await imapPage(client, box.exists, check.limit, 0);
    return performance.now() - s;
  } finally {
    await client.logout().catch(() => client.close());
  }
}

export async function imapThroughput(target: ImapTarget, check: PageCheck, sessions: number, seconds: number, depth: number, hooks: PhaseHooks): Promise<ThroughputResult> {
  const s0 = performance.now();
  hooks.log(`  opening ${sessions} IMAP connections (LOGIN, SELECT, one first page each) ...`);
  const conns = await pool(Array.from({ length: sessions }, (_, i) => i), 10, async () => {
    const c = await imapOpen(target, check.folder);
    await imapPage(c.client, c.exists, check.limit, 0);
    return c;
  });
  const setupSeconds = round((performance.now() - s0) / 1000, 2);
  try {
    const result = await runLoops(conns, seconds, depth, hooks, async (c, k) => {
      const n = await imapPage(c.client, c.exists, check.limit, k);
      return n > 0 && seqRange(c.exists, check.limit, k + 1) !== null ? k + 1 : null;
    });
    return { sessions, setupSeconds, ...result };
  } finally {
    await pool(conns, 10, (c) => c.client.logout().catch(() => c.client.close()));
  }
}
