import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sampleMessage, startWithUser, type Mailwerk } from './harness.ts';
import { RawImap } from './raw-imap.ts';

/**
 * Two sessions on one mailbox, as a webmail and a phone would have: what one adds, the other must be able to
 * name by UID at once, and a session entering IDLE hears about what arrived just before.
 */
describe('IMAP updates between sessions', () => {
  let mw: Mailwerk;
  let reader: RawImap;
  let writer: RawImap;
  const user = 'twice@example.test';
  const password = 'twice-password-1';

  const appendFrom = async (client: RawImap, subject: string): Promise<number> => {
    const raw = sampleMessage({ subject });
    client.send(`ap APPEND INBOX {${Buffer.byteLength(raw)}+}\r\n${raw}\r\n`);
    const reply = await client.until((b) => /ap (OK|NO|BAD)/.test(b));
    return Number(/APPENDUID \d+ (\d+)/.exec(reply)?.[1]);
  };

  before(async () => {
    mw = await startWithUser(user, password);
    reader = await RawImap.open(mw.ports.imaps!, { tls: true, ca: mw.ca });
    writer = await RawImap.open(mw.ports.imaps!, { tls: true, ca: mw.ca });
    for (const client of [reader, writer]) assert.match(await client.command('l', `LOGIN ${user} ${password}`), /l OK/);
    await appendFrom(writer, 'first');
    assert.match(await reader.command('s', 'SELECT INBOX'), /\* 1 EXISTS/);
  });
  after(async () => {
    reader.close();
    writer.close();
    await mw.cleanup();
  });

  it('announces a new message before a UID command that names it', async () => {
    const uid = await appendFrom(writer, 'second');
    const reply = await reader.command('f', `UID FETCH ${uid} (FLAGS)`);
    const exists = reply.indexOf('* 2 EXISTS');
    const fetch = reply.search(new RegExp(`\\* 2 FETCH \\((UID ${uid} FLAGS|FLAGS \\(\\) UID ${uid})`));
    assert.ok(exists >= 0 && fetch > exists, reply);
  });

  it('reports what arrived before IDLE as soon as IDLE starts', async () => {
    await appendFrom(writer, 'third');
    reader.send('i IDLE\r\n');
    const reply = await reader.until((b) => b.includes('* 3 EXISTS'), 3000);
    assert.match(reply, /\+ idling/);
    reader.send('DONE\r\n');
    assert.match(await reader.until((b) => /i OK/.test(b)), /i OK/);
  });
});
