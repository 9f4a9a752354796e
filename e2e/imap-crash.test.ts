import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImapFlow } from 'imapflow';
import { sampleMessage, startWithUser, type Mailwerk } from './harness.ts';

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** Durability: kill -9 during a burst of APPENDs loses nothing that got OK and shows no half message. */
describe('crash safety', () => {
  let mw: Mailwerk;
  const user = 'crash@example.test';
  const password = 'crash-password-1';

  before(async () => {
    mw = await startWithUser(user, password);
  });
  after(async () => mw.cleanup());

  const connect = async () => {
    const c = new ImapFlow({
      host: '127.0.0.1',
      port: mw.ports.imaps!,
      secure: true,
      tls: { ca: [mw.ca], servername: 'localhost' },
      auth: { user, pass: password },
      logger: false,
    });
    c.on('error', () => {});
    await c.connect();
    return c;
  };

  it('keeps every acknowledged APPEND across kill -9', async () => {
    const acknowledged = new Map<string, string>(); // sha → subject
    const sent = new Set<string>();
    const clients = await Promise.all(Array.from({ length: 6 }, connect));
    let stop = false;
    const workers = clients.map(async (c, w) => {
      for (let i = 0; !stop; i++) {
        const body = `worker ${w} message ${i} ` + 'x'.repeat(2000 + ((w * 7919 + i * 104729) % 20000)) + '\r\n';
        const raw = sampleMessage({ subject: `burst ${w}-${i}`, body });
        sent.add(sha(raw));
        try {
          await c.append('INBOX', raw);
          acknowledged.set(sha(raw), `burst ${w}-${i}`);
        } catch {
          return; // the server died under us: this one was never acknowledged
        }
      }
    });
    await sleep(2500);
    await mw.kill();
    stop = true;
    await Promise.allSettled(workers);
    for (const c of clients) c.close();
    assert.ok(acknowledged.size > 20, `only ${acknowledged.size} appends acknowledged before the kill`);

    await mw.restart();
    const c = await connect();
    await c.mailboxOpen('INBOX');
    const stored = new Set<string>();
    for await (const msg of c.fetch('1:*', { source: true })) {
      const hash = sha(msg.source!);
      assert.ok(sent.has(hash), `message ${msg.seq} is not one that was sent whole (half-written?)`);
      stored.add(hash);
    }
    for (const [hash, subject] of acknowledged) assert.ok(stored.has(hash), `acknowledged message "${subject}" lost`);
    await c.logout();
  });
});
