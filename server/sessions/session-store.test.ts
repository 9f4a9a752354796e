import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PooledImapConnection } from '../mail/imap-connection.ts';
import { Session, SessionStore } from './session-store.ts';

/** A stand-in for the IMAP connection that only records being closed (the store never talks IMAP itself). */
function connection(): { imap: PooledImapConnection; state: { closed: boolean } } {
  const state = { closed: false };
  return { imap: { close: async () => void (state.closed = true) } as unknown as PooledImapConnection, state };
}

describe('SessionStore', () => {
  it('ends a session after the idle timeout and closes its IMAP connection', async () => {
    const store = new SessionStore({ idleMs: 1000, absoluteMs: 10_000 });
    const { imap, state } = connection();
    const session = new Session('a@example.test', 'pw', '192.0.2.1', imap, 0, 1024);
    store.add(session);
    assert.equal(store.get(session.id, 900), session);
    assert.equal(store.get(session.id, 1800), session, 'each request restarts the idle clock');
    assert.equal(store.get(session.id, 2801), null);
    await new Promise((r) => setImmediate(r));
    assert.equal(state.closed, true);
    assert.equal(store.size, 0);
    await store.closeAll();
  });

  it('ends a session at the absolute timeout however busy it is', async () => {
    const store = new SessionStore({ idleMs: 1000, absoluteMs: 3000 });
    const session = new Session('a@example.test', 'pw', '192.0.2.1', connection().imap, 0, 1024);
    store.add(session);
    for (let t = 500; t <= 3000; t += 500) assert.equal(store.get(session.id, t), session);
    assert.equal(store.get(session.id, 3001), null);
    assert.equal(store.expiresAt(session).getTime(), 3000);
    await store.closeAll();
  });

  it('knows no session for a missing, unknown or destroyed id', async () => {
    const store = new SessionStore();
    const session = new Session('a@example.test', 'pw', '192.0.2.1', connection().imap, Date.now(), 1024);
    store.add(session);
    assert.equal(store.get(undefined), null);
    assert.equal(store.get('x'.repeat(43)), null);
    await store.destroy(session.id);
    assert.equal(store.get(session.id), null);
    assert.notEqual(session.id, session.csrfToken);
    assert.match(session.id, /^[A-Za-z0-9_-]{43}$/);
    await store.closeAll();
  });
});
