import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RawImap } from './raw-imap.ts';
import { sampleMessage, startWithUser, type Mailwerk } from './harness.ts';

/** How UTF-8 text looks to the raw client, which reads bytes as latin1. */
const latin1 = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

/** The extensions one by one, over the wire, as RFC examples exercise them. */
describe('IMAP extensions', () => {
  let mw: Mailwerk;
  let c: RawImap;
  const user = 'ext@example.test';
  const password = 'ext-password-1';

  const append = async (mailbox: string, raw: string, flags = '') => {
    c.send(`ap APPEND ${mailbox} ${flags ? `(${flags}) ` : ''}{${Buffer.byteLength(raw)}+}\r\n${raw}\r\n`);
    return c.until((b) => /ap (OK|NO|BAD)/.test(b));
  };

  before(async () => {
    mw = await startWithUser(user, password, { MAILWERK_QUOTA: '200K' });
    c = await RawImap.open(mw.ports.imaps!, { tls: true, ca: mw.ca });
    assert.match(await c.command('l', `LOGIN ${user} ${password}`), /l OK/);
    assert.match(await c.command('c', 'CREATE Lab'), /c OK/);
    const multipart = [
      'From: "Zoe Zebra" <zoe@example.org>',
      'To: ext@example.test',
      'Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= with attachment',
      'Date: Wed, 04 Nov 2026 12:00:00 +0100',
      'Message-ID: <mp@example.org>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="XX"',
      '',
      '--XX',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'Hallo Welt, sch=C3=B6ne Gr=C3=BC=C3=9Fe aus dem Labor.',
      '--XX',
      'Content-Type: application/octet-stream; name="data.bin"',
      'Content-Disposition: attachment; filename="data.bin"',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from([0, 1, 2, 3, 255]).toString('base64'),
      '--XX--',
      '',
    ].join('\r\n');
    assert.match(await append('Lab', sampleMessage({ subject: 'alpha', messageId: '<a@x>' }), '\\Seen'), /ap OK/);
    assert.match(await append('Lab', multipart), /ap OK/);
    assert.match(await append('Lab', sampleMessage({ subject: 'Re: alpha', messageId: '<b@x>', inReplyTo: '<a@x>' })), /ap OK/);
  });
  after(async () => {
    c.close();
    await mw.cleanup();
  });

  it('STATUS with SIZE, MAILBOXID, HIGHESTMODSEQ; LIST-STATUS and LIST-EXTENDED; NAMESPACE', async () => {
    const status = await c.command('s', 'STATUS Lab (MESSAGES UNSEEN SIZE UIDNEXT MAILBOXID HIGHESTMODSEQ APPENDLIMIT)');
    assert.match(status, /\* STATUS Lab \(MESSAGES 3 UNSEEN 2 SIZE \d+ UIDNEXT 4 MAILBOXID \(F\d+\) HIGHESTMODSEQ \d+ APPENDLIMIT \d+\)/);
    const list = await c.command('l', 'LIST "" (Lab Junk) RETURN (STATUS (MESSAGES) SPECIAL-USE SUBSCRIBED)');
    assert.match(list, /\* LIST \([^)]*\\Junk[^)]*\) "\/" Junk/);
    assert.match(list, /\* STATUS Lab \(MESSAGES 3\)/);
    const special = await c.command('sp', 'LIST (SPECIAL-USE) "" "*"');
    assert.doesNotMatch(special, /Lab|INBOX/);
    assert.match(special, /\\Sent/);
    assert.match(await c.command('n', 'NAMESPACE'), /\* NAMESPACE \(\("" "\/"\)\) NIL NIL/);
    assert.match(await c.command('su', 'LSUB "" "*"'), /\* LSUB \(\) "\/" INBOX/);
  });

  it('BODYSTRUCTURE, BODY[section] with partials, BINARY, PREVIEW, EMAILID, THREADID, SAVEDATE', async () => {
    assert.match(await c.command('sel', 'SELECT Lab'), /\* 3 EXISTS/);
    const structure = await c.command('f1', 'FETCH 2 (BODYSTRUCTURE)');
    assert.match(structure, /\("TEXT" "PLAIN" \("CHARSET" "utf-8"\) NIL NIL "QUOTED-PRINTABLE" \d+ \d+/i);
    assert.match(structure, /"APPLICATION" "OCTET-STREAM" \("NAME" "data.bin"\)/i);
    assert.match(structure, /"MIXED" \("BOUNDARY" "XX"\)/i);
    const sections = await c.command('f2', 'FETCH 2 (BODY.PEEK[1.MIME] BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY.PEEK[1]<0.5>)');
    assert.match(sections, /BODY\[1\.MIME\] \{\d+\}\r\nContent-Type: text\/plain; charset=utf-8\r\n/);
    assert.match(sections, /BODY\[HEADER\.FIELDS \(SUBJECT\)\] \{\d+\}\r\nSubject: =\?utf-8\?q\?Gr=C3=BC=C3=9Fe\?= with attachment\r\n\r\n/);
    assert.match(sections, /BODY\[1\]<0> \{5\}\r\nHallo/);
    const binary = await c.command('f3', 'FETCH 2 (BINARY.PEEK[2] BINARY.SIZE[2] BINARY.PEEK[1])');
    assert.match(binary, /BINARY\[2\] ~\{5\}\r\n\x00\x01\x02\x03\xff/);
    assert.match(binary, /BINARY\.SIZE\[2\] 5/);
    assert.match(binary, /BINARY\[1\] \{\d+\}\r\nHallo Welt, sch\xc3\xb6ne/);
    const meta = await c.command('f4', 'FETCH 1:3 (EMAILID THREADID SAVEDATE PREVIEW)');
    const threads = [...meta.matchAll(/THREADID \((T\d+)\)/g)].map((m) => m[1]);
    assert.equal(threads.length, 3);
    assert.equal(threads[0], threads[2], 'the reply shares its parent\'s thread');
    assert.notEqual(threads[0], threads[1]);
    assert.match(meta, /EMAILID \(M\d+\)/);
    assert.match(meta, /SAVEDATE "\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d [+-]\d{4}"/);
    // UTF-8 on the wire (the raw client reads latin1); a literal, since this session has not enabled UTF8=ACCEPT.
    assert.match(meta, new RegExp(`PREVIEW \\{\\d+\\}\\r\\n${latin1('Hallo Welt, schöne Grüße aus dem Labor')}`));
    // The peeks above left \Seen alone; a non-peek body fetch sets it.
    assert.match(await c.command('f5', 'FETCH 2 (FLAGS)'), /FLAGS \(\\Recent\)|FLAGS \(\)/);
    assert.match(await c.command('f6', 'FETCH 2 (BODY[1])'), /FLAGS \([^)]*\\Seen/);
  });

  it('ESEARCH with RETURN, SEARCHRES ($), UID SEARCH, MODSEQ, OBJECTID keys', async () => {
    assert.match(await c.command('s1', 'SEARCH RETURN (MIN MAX COUNT) ALL'), /\* ESEARCH \(TAG "s1"\) MIN 1 MAX 3 COUNT 3/);
    assert.match(await c.command('s2', 'UID SEARCH RETURN (ALL) SUBJECT alpha'), /\* ESEARCH \(TAG "s2"\) UID ALL 1,3/);
    assert.match(await c.command('s3', 'SEARCH RETURN (SAVE) UNSEEN'), /^s3 OK/m);
    assert.match(await c.command('s4', 'FETCH $ (UID)'), /\* 3 FETCH \(UID 3\)/);
    assert.match(await c.command('s5', 'SEARCH TEXT "Labor"'), /\* SEARCH 2\r\n/);
    assert.match(await c.command('s6', 'SEARCH CHARSET UTF-8 SUBJECT "Grüße"'), /\* SEARCH 2\r\n/);
    assert.match(await c.command('s7', 'SEARCH CHARSET KOI8-R ALL'), /s7 NO \[BADCHARSET/);
    assert.match(await c.command('s8', 'SEARCH MODSEQ 1'), /\* SEARCH 1 2 3 \(MODSEQ \d+\)/);
    assert.match(await c.command('s9', 'SEARCH OR FROM zoe NOT SEEN'), /\* SEARCH 2 3\r\n/);
    assert.match(await c.command('s10', 'SEARCH HEADER Message-ID "<mp@example.org>"'), /\* SEARCH 2\r\n/);
    assert.match(await c.command('s11', 'SEARCH YOUNGER 3600 LARGER 10'), /\* SEARCH 1 2 3/);
  });

  it('SORT and THREAD', async () => {
    assert.match(await c.command('o1', 'SORT (SUBJECT) UTF-8 ALL'), /\* SORT 1 3 2\r\n/);
    assert.match(await c.command('o2', 'UID SORT (REVERSE ARRIVAL) UTF-8 ALL'), /\* SORT 3 2 1\r\n/);
    assert.match(await c.command('o3', 'SORT (DISPLAYFROM) UTF-8 ALL'), /\* SORT \d \d \d/);
    assert.match(await c.command('t1', 'THREAD REFERENCES UTF-8 ALL'), /\* THREAD \(1 3\)\(2\)/);
    assert.match(await c.command('t2', 'THREAD ORDEREDSUBJECT UTF-8 ALL'), /\* THREAD \(1 3\)\(2\)/);
  });

  it('CONDSTORE: STORE UNCHANGEDSINCE and FETCH CHANGEDSINCE; QRESYNC with VANISHED', async () => {
    const fetched = await c.command('m1', 'FETCH 1 (MODSEQ)');
    const modseq = Number(/MODSEQ \((\d+)\)/.exec(fetched)![1]);
    assert.match(await c.command('m2', `STORE 1 (UNCHANGEDSINCE ${modseq}) +FLAGS (\\Flagged)`), /\* 1 FETCH \(UID 1 FLAGS \([^)]*\\Flagged[^)]*\) MODSEQ/);
    assert.match(await c.command('m3', `STORE 1 (UNCHANGEDSINCE ${modseq}) -FLAGS (\\Flagged)`), /m3 OK \[MODIFIED 1\]/);
    const since = await c.command('m4', `UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${modseq})`);
    assert.match(since, /\* 1 FETCH \(UID 1 FLAGS \([^)]*\\Flagged[^)]*\) MODSEQ \(\d+\)\)/);
    for (const m of since.matchAll(/MODSEQ \((\d+)\)/g)) assert.ok(Number(m[1]) > modseq);
    const uidvalidity = Number(/UIDVALIDITY (\d+)/.exec(await c.command('m5', 'STATUS Lab (UIDVALIDITY)'))![1]);
    assert.match(await c.command('q1', 'ENABLE QRESYNC'), /\* ENABLED QRESYNC/);
    assert.match(await c.command('q2', 'STORE 3 +FLAGS.SILENT (\\Deleted)'), /q2 OK/);
    assert.match(await c.command('q3', 'EXPUNGE'), /\* VANISHED 3\r\n/);
    const resync = await c.command('q4', `SELECT Lab (QRESYNC (${uidvalidity} ${modseq}))`);
    assert.match(resync, /\* OK \[CLOSED\]/);
    assert.match(resync, /\* VANISHED \(EARLIER\) 3/);
    assert.match(resync, /\* 1 FETCH \(UID 1 FLAGS \(.*\) MODSEQ \(\d+\)\)/);
    assert.match(await c.command('q5', `UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${modseq} VANISHED)`), /\* VANISHED \(EARLIER\) 3/);
  });

  it('COPY and MOVE answer COPYUID; MULTIAPPEND; quota; UNSELECT and CLOSE', async () => {
    assert.match(await c.command('cp', 'COPY 1 Archive'), /cp OK \[COPYUID \d+ 1 1\]/);
    assert.match(await c.command('mv', 'UID MOVE 1 Trash'), /\* OK \[COPYUID \d+ 1 1\][^\r]*\r\n(\* VANISHED 1|\* 1 EXPUNGE)/);
    assert.match(await c.command('cx', 'COPY 1 Nowhere'), /cx NO \[TRYCREATE\]/);
    const a = sampleMessage({ subject: 'multi a' });
    const b = sampleMessage({ subject: 'multi b' });
    c.send(`ma APPEND Lab {${a.length}+}\r\n${a} (\\Seen) {${b.length}+}\r\n${b}\r\n`);
    assert.match(await c.until((x) => /ma (OK|NO|BAD)/.test(x)), /ma OK \[APPENDUID \d+ \d+:\d+\]/);
    const quota = await c.command('gq', 'GETQUOTAROOT INBOX');
    assert.match(quota, /\* QUOTAROOT INBOX ""/);
    assert.match(quota, /\* QUOTA "" \(STORAGE \d+ 200\)/);
    const big = sampleMessage({ subject: 'too big', body: 'x'.repeat(250 * 1024) });
    assert.match(await append('INBOX', big), /ap NO \[OVERQUOTA\]/);
    assert.match(await c.command('un', 'UNSELECT'), /un OK/);
    assert.match(await c.command('f', 'FETCH 1 (FLAGS)'), /f BAD/);
    assert.match(await c.command('ex', 'EXAMINE Lab'), /ex OK \[READ-ONLY\]/);
    assert.match(await c.command('st', 'STORE 1 +FLAGS (\\Seen)'), /st NO \[READ-ONLY\]/);
    assert.match(await c.command('cl', 'CLOSE'), /cl OK/);
  });

  it('mailbox names: modified UTF-7 for IMAP4rev1 clients, UTF-8 after ENABLE UTF8=ACCEPT', async () => {
    const d = await RawImap.open(mw.ports.imaps!, { tls: true, ca: mw.ca });
    assert.match(await d.command('l', `LOGIN ${user} ${password}`), /l OK/);
    assert.match(await d.command('c', 'CREATE "Stra&AN8-e"'), /c OK/);
    assert.match(await d.command('l1', 'LIST "" "Stra*"'), /"\/" "?Stra&AN8-e"?\r\n/);
    assert.match(await d.command('e', 'ENABLE UTF8=ACCEPT'), /\* ENABLED UTF8=ACCEPT/);
    assert.match(await d.command('l2', 'LIST "" "Stra*"'), new RegExp(`"/" "?${latin1('Straße')}"?\\r\\n`));
    assert.match(await d.command('s', 'SELECT "Straße"'), /s OK/);
    d.close();
  });

  it('IMAP4rev2 clients get ESEARCH for SEARCH and never see \\Recent', async () => {
    const d = await RawImap.open(mw.ports.imaps!, { tls: true, ca: mw.ca });
    assert.match(await d.command('l', `LOGIN ${user} ${password}`), /l OK/);
    assert.match(await d.command('e', 'ENABLE IMAP4rev2'), /\* ENABLED IMAP4REV2/);
    const m = sampleMessage({ subject: 'rev2' });
    d.send(`a APPEND INBOX {${m.length}+}\r\n${m}\r\n`);
    await d.until((x) => /a OK/.test(x));
    const selected = await d.command('s', 'SELECT INBOX');
    assert.doesNotMatch(selected, /RECENT/);
    assert.match(await d.command('f', 'FETCH 1:* (FLAGS)'), /FLAGS \(\)/);
    assert.match(await d.command('x', 'SEARCH ALL'), /\* ESEARCH \(TAG "x"\) ALL 1/);
    d.close();
  });

  it('COMPRESS=DEFLATE keeps working for large responses', async () => {
    const { ImapFlow } = await import('imapflow');
    const flow = new ImapFlow({ host: '127.0.0.1', port: mw.ports.imaps!, secure: true, tls: { ca: [mw.ca], servername: 'localhost' }, auth: { user, pass: password }, logger: false });
    await flow.connect();
    assert.ok(flow.capabilities.has('COMPRESS=DEFLATE'));
    const lock = await flow.getMailboxLock('Lab');
    try {
      const all = [];
      for await (const m of flow.fetch('1:*', { source: true, envelope: true })) all.push(m);
      assert.ok(all.length >= 3);
      assert.ok(all.every((m) => m.source && m.source.length > 100));
    } finally {
      lock.release();
    }
    await flow.logout();
  });
});
