import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RawImap } from './raw-imap.ts';
import { startWithUser, type Mailwerk } from './harness.ts';

/** Settings that change who may do what when: the autologout timer and the loopback plaintext exception. */
describe('IMAP timeouts and the loopback exception', () => {
  let mw: Mailwerk;
  const user = 'slow@example.test';
  const password = 'slow-password-1';

  before(async () => {
    mw = await startWithUser(user, password, { MAILWERK_IMAP_IDLE_TIMEOUT: '5', MAILWERK_ALLOW_PLAINTEXT_LOOPBACK: 'true' });
  });
  after(async () => mw.cleanup());

  it('logs out a silent client with BYE after the idle timeout, but not an active one', async () => {
    const silent = await RawImap.open(mw.ports.imaps!, { tls: true, ca: mw.ca });
    const active = await RawImap.open(mw.ports.imaps!, { tls: true, ca: mw.ca });
    // A session that came in over STARTTLS keeps its timer after the upgrade.
    const upgraded = await RawImap.open(mw.ports.imap!);
    assert.match(await upgraded.command('s', 'STARTTLS'), /s OK/);
    await upgraded.upgrade(mw.ca);
    assert.match(await upgraded.command('a', `LOGIN ${user} ${password}`), /a OK/);
    assert.match(await silent.command('a', `LOGIN ${user} ${password}`), /a OK/);
    assert.match(await active.command('a', `LOGIN ${user} ${password}`), /a OK/);
    const started = Date.now();
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 2000));
      assert.match(await active.command(`n${i}`, 'NOOP'), new RegExp(`n${i} OK`));
    }
    const bye = await silent.until((b) => /\* BYE/.test(b), 5000);
    assert.match(bye, /\* BYE Autologout/);
    assert.ok(Date.now() - started >= 4000);
    await silent.until(() => silent.closed, 5000);
    assert.match(await upgraded.until((b) => /\* BYE/.test(b), 5000), /\* BYE Autologout/);
    assert.ok(!active.closed, 'the active session is still there');
    active.close();
  });

  it('accepts LOGIN without TLS from loopback when the administrator allows it', async () => {
    const plain = await RawImap.open(mw.ports.imap!);
    assert.doesNotMatch(plain.greeting, /LOGINDISABLED/);
    assert.match(await plain.command('a', `LOGIN ${user} ${password}`), /a OK/);
    plain.close();
  });
});
