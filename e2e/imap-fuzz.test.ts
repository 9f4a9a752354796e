import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { RawImap } from './raw-imap.ts';
import { sampleMessage, startWithUser, type Mailwerk } from './harness.ts';
import { mutate, mutationArbitrary } from './fuzz-mutation.ts';

/** Valid commands that mutations start from: every command family, in selected state. */
const SEEDS = [
  'NOOP',
  'CAPABILITY',
  'LIST "" "*"',
  'LIST (SUBSCRIBED RECURSIVEMATCH) "" (% INBOX) RETURN (CHILDREN STATUS (MESSAGES SIZE))',
  'STATUS INBOX (MESSAGES UNSEEN SIZE HIGHESTMODSEQ)',
  'SELECT INBOX (CONDSTORE)',
  'EXAMINE INBOX',
  'FETCH 1:* (UID FLAGS ENVELOPE BODYSTRUCTURE INTERNALDATE RFC822.SIZE)',
  'UID FETCH 1:* (BODY.PEEK[1.MIME] BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)]<0.20> BINARY.PEEK[1] PREVIEW)',
  'FETCH 1 (BODY[TEXT]<2.30> EMAILID THREADID SAVEDATE MODSEQ)',
  'UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1)',
  'SEARCH OR (FROM alice SINCE 1-Jan-2020) NOT (SUBJECT "x y" LARGER 10) UID 1:*',
  'UID SEARCH RETURN (MIN MAX COUNT SAVE) TEXT hello',
  'SEARCH CHARSET UTF-8 BODY "grüße" MODSEQ 1 YOUNGER 100',
  'SORT (REVERSE DATE SUBJECT) UTF-8 ALL',
  'THREAD REFERENCES UTF-8 SEEN',
  'STORE 1 +FLAGS.SILENT (\\Flagged $Label)',
  'UID STORE 1:* (UNCHANGEDSINCE 5) -FLAGS (\\Seen)',
  'COPY 1 Archive',
  'UID MOVE 2 Trash',
  'CREATE "Fuzz/Ä&AOQ-"',
  'RENAME "Fuzz" "Fuzz2"',
  'DELETE "Fuzz2"',
  'SUBSCRIBE Junk',
  'GETQUOTAROOT INBOX',
  'ENABLE QRESYNC UTF8=ACCEPT',
  'ID ("name" "fuzzer" "version" NIL)',
  'UID EXPUNGE 99',
  'UNSELECT',
  'NAMESPACE',
];

const mutation = mutationArbitrary(['(', ')', '"', '{5}', '{99999999}', '~{3}', '*', '%', '\\', ' ', 'NIL', '$', '1:*', '\x00', '&', '&-', 'ÿ']);

describe('IMAP server under mutated input', () => {
  let mw: Mailwerk;
  const user = 'fuzz@example.test';
  const password = 'fuzz-password-1';

  before(async () => {
    mw = await startWithUser(user, password);
  });
  after(async () => mw.cleanup());

  it('answers every mutated command and stays up', async () => {
    let c = await RawImap.open(mw.ports.imaps!, { tls: true, ca: mw.ca });
    const login = async () => {
      assert.match(await c.command('L', `LOGIN ${user} ${password}`), /L OK/);
      const m = sampleMessage({ subject: 'fuzz seed' });
      c.send(`A APPEND INBOX {${m.length}+}\r\n${m}\r\n`);
      await c.until((b) => /A OK/.test(b));
      await c.command('S', 'SELECT INBOX');
    };
    await login();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SEEDS), fc.array(mutation, { minLength: 1, maxLength: 4 }), async (seed, steps) => {
        const tag = `f${n++}`;
        const line = mutate(seed, steps);
        c.send(`${tag} ${line}\r\n`);
        // A literal marker may make the server wait for data; NOOP lines then fill it or end it.
        const reply = await c.until((b) => new RegExp(`(^|\\n)(${tag} (OK|NO|BAD)|\\+ |\\* BYE)`).test(b), 5000).catch(() => 'timeout');
        if (reply === 'timeout' || /\* BYE/.test(reply) || c.closed) {
          c.close();
          c = await RawImap.open(mw.ports.imaps!, { tls: true, ca: mw.ca });
          await login();
        } else if (/\+ /.test(reply) && !new RegExp(`${tag} (OK|NO|BAD)`).test(reply)) {
          c.close(); // it asked for literal data we are not going to send
          c = await RawImap.open(mw.ports.imaps!, { tls: true, ca: mw.ca });
          await login();
        }
        assert.equal(mw.process.exitCode, null, `server died after: ${tag} ${line}`);
        assert.doesNotMatch(reply, /SERVERBUG/, `internal error for: ${tag} ${line}`);
      }),
      { numRuns: 400, seed: 20261127 },
    );
    assert.match(await c.command('z', 'NOOP'), /z OK/);
    c.close();
  });
});
