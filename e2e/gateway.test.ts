import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { ActionResult, ApiError, DraftResult, FolderList, MailEvent, MessageDetail, MessagePage, SendResult, SessionInfo, SpamReport, Thread, type Folder } from '../shared/index.ts';
import { startMailwerk, type Mailwerk } from './harness.ts';
import { folderUrl, GatewayClient } from './gateway-client.ts';

/**
 * The webmail gateway against the real mail server: every request goes over HTTP to the gateway, which
 * speaks IMAPS and submission with verified TLS to the server `mailwerk start` runs.
 */
describe('webmail gateway', () => {
  let mw: Mailwerk;
  let base: string;
  const alice = { user: 'alice@example.test', pass: 'alice-password-1' };
  const bob = { user: 'bob@example.test', pass: 'bob-password-1' };

  function imap(account = alice): ImapFlow {
    const client = new ImapFlow({ host: '127.0.0.1', port: mw.ports.imaps!, secure: true, tls: { ca: [mw.ca], servername: 'localhost' }, auth: account, logger: false });
    client.on('error', () => {});
    return client;
  }

  async function append(raw: string | Buffer, folder = 'INBOX', flags: string[] = [], account = alice): Promise<number> {
    const client = imap(account);
    await client.connect();
    try {
      const result = await client.append(folder, raw, flags);
      return (result && result.uid) || 0;
    } finally {
      await client.logout();
    }
  }

  /** A mail from outside, through the inbound MTA like any other server would send it. */
  async function deliver(to: string, subject: string, extra: Record<string, unknown> = {}): Promise<void> {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: mw.ports.smtp!, secure: false, tls: { ca: [mw.ca], servername: 'localhost' }, name: 'mx.remote.example' });
    await transport.sendMail({ from: 'Carol <carol@remote.example>', to, subject, text: `Body of ${subject}`, ...extra });
    transport.close();
  }

  async function loggedIn(account = alice): Promise<GatewayClient> {
    const client = new GatewayClient(base);
    const response = await client.login(account.user, account.pass);
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return client;
  }

  before(async () => {
    mw = await startMailwerk();
    for (const account of [alice, bob]) {
      const added = await mw.cli(['user', 'add', account.user, '--password', account.pass]);
      assert.equal(added.code, 0, added.stderr);
    }
    base = `http://127.0.0.1:${mw.ports.http}`;
  });
  after(async () => mw.cleanup());

  describe('sessions and security', () => {
    it('refuses wrong credentials with one typed answer that does not say which part was wrong', async () => {
      const client = new GatewayClient(base);
      const wrongPassword = await client.login(alice.user, 'not-the-password');
      const noSuchUser = await client.login('nobody@example.test', 'whatever-1');
      for (const response of [wrongPassword, noSuchUser]) {
        assert.equal(response.status, 401);
        assert.deepEqual(response.body, { error: { code: 'bad_credentials', message: 'The address or password is not right.' } });
      }
      assert.equal(client.cookie, '');
    });

    it('logs in with an HttpOnly SameSite=Strict cookie, sends security headers, and logs out', async () => {
      const client = new GatewayClient(base);
      const response = await client.login(alice.user, alice.pass);
      assert.equal(response.status, 201);
      const cookie = response.headers.get('set-cookie') ?? '';
      assert.match(cookie, /^mailwerk_session=[A-Za-z0-9_-]{43};/);
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Strict/);
      assert.doesNotMatch(cookie, /Secure/, 'plain http: a Secure cookie would never be sent back');
      const csp = response.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      SessionInfo.parse(response.body);
      assert.equal(response.body.address, alice.user);
      assert.ok(response.body.csrfToken.length >= 40);

      const me = await client.get('/api/session');
      assert.equal(me.status, 200);
      assert.equal(me.body.address, alice.user);
      assert.equal((await client.request('DELETE', '/api/session')).status, 204);
      const after = await client.get('/api/folders');
      assert.equal(after.status, 401);
      assert.equal(after.body.error.code, 'unauthenticated');
    });

    it('refuses state changes without the CSRF token or from another site', async () => {
      const client = await loggedIn();
      const noToken = await client.request('POST', '/api/folders', { path: 'Csrf' }, { 'x-csrf-token': '' });
      assert.equal(noToken.status, 403);
      assert.equal(noToken.body.error.code, 'csrf');
      const foreign = await client.request('POST', '/api/folders', { path: 'Csrf' }, { origin: 'https://evil.example' });
      assert.equal(foreign.status, 403);
      const crossSiteLogin = await new GatewayClient(base).request('POST', '/api/session', alice.user && { address: alice.user, password: alice.pass }, { 'sec-fetch-site': 'cross-site' });
      assert.equal(crossSiteLogin.status, 403);
      const folders = await client.get<{ folders: Folder[] }>('/api/folders');
      assert.ok(!folders.body.folders.some((f) => f.path === 'Csrf'));
    });

    it('answers bad input with a typed 400 naming the field', async () => {
      const client = await loggedIn();
      const notJson = await client.request('POST', '/api/folders', undefined, { 'content-type': 'application/json' });
      assert.equal(notJson.status, 400);
      const badLimit = await client.get(`${folderUrl('INBOX')}/messages?limit=100000`);
      assert.equal(badLimit.status, 400);
      assert.equal(badLimit.body.error.field, 'limit');
      const badUid = await client.get(`${folderUrl('INBOX')}/messages/abc`);
      assert.equal(badUid.body.error.field, 'uid');
      const badRecipient = await client.post('/api/send', { to: [{ address: 'not an address' }], subject: 'x', text: 'y' });
      assert.equal(badRecipient.status, 400);
      assert.equal(badRecipient.body.error.field, 'to.0.address');
      assert.doesNotMatch(JSON.stringify(badRecipient.body), /at .*\.ts:\d+/);
      const unknown = await client.get('/api/nothing-here');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.error.code, 'not_found');
    });
  });

  describe('folders', () => {
    it('lists folders with special-use roles and counts, and creates, renames and deletes', async () => {
      const client = await loggedIn();
      const list = await client.get<{ folders: Folder[] }>('/api/folders');
      assert.equal(list.status, 200);
      FolderList.parse(list.body);
      const roles = Object.fromEntries(list.body.folders.filter((f) => f.role).map((f) => [f.role, f.path]));
      for (const role of ['inbox', 'sent', 'drafts', 'trash', 'junk']) assert.ok(roles[role], `no ${role} folder in ${JSON.stringify(roles)}`);
      assert.equal(list.body.folders[0]!.role, 'inbox');

      assert.equal((await client.post('/api/folders', { path: 'Projects' })).status, 201);
      assert.equal((await client.post('/api/folders', { path: 'Projects' })).status, 409);
      const renamed = await client.request('PATCH', folderUrl('Projects'), { newPath: 'Projects 2026' });
      assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
      assert.equal((await client.request('DELETE', folderUrl('Projects 2026'))).status, 204);
      const trash = await client.request('DELETE', folderUrl(roles.trash!));
      assert.equal(trash.status, 409);
      const names = (await client.get<{ folders: Folder[] }>('/api/folders')).body.folders.map((f) => f.path);
      assert.ok(!names.includes('Projects') && !names.includes('Projects 2026'));
    });
  });

  describe('reading', () => {
    const boundary = 'b1-outer';
    const alternative = [
      'From: Dora <dora@remote.example>',
      'To: alice@example.test',
      'Subject: Quarterly figures',
      'Date: Wed, 04 Nov 2026 09:00:00 +0000',
      'Message-ID: <figures@remote.example>',
      'MIME-Version: 1.0',
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: multipart/related; boundary="b2-related"',
      '',
      '--b2-related',
      'Content-Type: multipart/alternative; boundary="b3-alt"',
      '',
      '--b3-alt',
      'Content-Type: text/plain; charset=iso-8859-1',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'The figures are gr=FCn this quarter.',
      '--b3-alt',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<html><head><meta http-equiv="refresh" content="0;url=https://evil.example/"><script>alert(1)</script></head>',
      '<body><p onclick="steal()">The figures are <b>green</b>.</p><img src="cid:chart@remote.example">',
      '<img src="https://tracker.example/pixel.gif" width="1" height="1"><a href="javascript:alert(2)">click</a></body></html>',
      '--b3-alt--',
      '--b2-related',
      'Content-Type: image/png',
      'Content-ID: <chart@remote.example>',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('\x89PNG\r\n\x1a\nnot really a png').toString('base64'),
      '--b2-related--',
      `--${boundary}`,
      'Content-Type: text/csv; name="figures Q3 \u00e4.csv"',
      'Content-Disposition: attachment; filename*=UTF-8\'\'figures%20Q3%20%C3%A4.csv',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('quarter,amount\nQ3,42\n').toString('base64'),
      `--${boundary}--`,
      '',
    ].join('\r\n');

    let client: GatewayClient;
    let uid: number;

    before(async () => {
      client = await loggedIn();
      uid = await append(alternative);
    });

    it('pages a folder newest first by UID cursor, with previews and markers', async () => {
      const account = { user: 'pager@example.test', pass: 'pager-password-1' };
      assert.equal((await mw.cli(['user', 'add', account.user, '--password', account.pass])).code, 0);
      const imapClient = imap(account);
      await imapClient.connect();
      for (let i = 1; i <= 120; i++) {
        await imapClient.append('INBOX', `From: sender${i}@remote.example\r\nTo: ${account.user}\r\nSubject: Message ${i}\r\nMessage-ID: <m${i}@remote.example>\r\n\r\nOpening words of message ${i}.\r\n> quoted line\r\n`, i % 3 === 0 ? ['\\Seen'] : []);
      }
      await imapClient.logout();
      const pager = await loggedIn(account);
      const seen: number[] = [];
      let cursor: number | null | undefined;
      let pages = 0;
      do {
        const page = await pager.get<MessagePage>(`${folderUrl('INBOX')}/messages?limit=50${cursor ? `&before=${cursor}` : ''}`);
        assert.equal(page.status, 200, JSON.stringify(page.body));
        MessagePage.parse(page.body);
        assert.equal(page.body.total, 120);
        assert.equal(page.body.unread, 80);
        seen.push(...page.body.messages.map((m) => m.uid));
        cursor = page.body.nextCursor;
        pages++;
      } while (cursor);
      assert.equal(pages, 3);
      assert.deepEqual(seen, [...seen].sort((a, b) => b - a));
      assert.equal(new Set(seen).size, 120);
      const first = (await pager.get<MessagePage>(`${folderUrl('INBOX')}/messages?limit=1`)).body.messages[0]!;
      assert.equal(first.subject, 'Message 120');
      assert.equal(first.preview, 'Opening words of message 120.');
      assert.deepEqual(first.from, [{ address: 'sender120@remote.example' }]);
      assert.equal(first.flags.seen, true);
      assert.equal(first.hasAttachments, false);
      assert.ok(first.threadId);
    });

    it('reports attachments, threads and previews in the list', async () => {
      const page = await client.get<MessagePage>(`${folderUrl('INBOX')}/messages`);
      const summary = page.body.messages.find((m) => m.uid === uid)!;
      assert.ok(summary, JSON.stringify(page.body));
      assert.equal(summary.hasAttachments, true);
      assert.equal(summary.preview, 'The figures are gr\u00fcn this quarter.');
      assert.equal(summary.subject, 'Quarterly figures');
      assert.equal(summary.date, '2026-11-04T09:00:00.000Z');
    });

    it('opens a multipart message: decoded text, sanitized HTML with cid: served, attachments', async () => {
      const detail = await client.get<MessageDetail>(`${folderUrl('INBOX')}/messages/${uid}`);
      assert.equal(detail.status, 200, JSON.stringify(detail.body));
      const message = MessageDetail.parse(detail.body);
      assert.equal(message.text?.trim(), 'The figures are gr\u00fcn this quarter.');
      const html = message.html ?? '';
      assert.match(html, /The figures are <b>green<\/b>/);
      for (const hostile of [/<script/i, /alert\(1\)/, /onclick/i, /javascript:/i, /http-equiv/i]) assert.doesNotMatch(html, hostile);
      assert.match(html, /https:\/\/tracker\.example\/pixel\.gif/, 'remote images stay; the client blocks them until allowed');
      const cid = /src="([^"]*\/cid\/[^"]+)"/.exec(html)?.[1];
      assert.ok(cid, html);
      const image = await fetch(base + cid.replace(/&amp;/g, '&'), { headers: { cookie: client.cookie } });
      assert.equal(image.status, 200);
      assert.equal(image.headers.get('content-type'), 'image/png');
      assert.match(Buffer.from(await image.arrayBuffer()).toString('latin1'), /not really a png/);

      const csv = message.attachments.find((a) => a.contentType === 'text/csv')!;
      assert.equal(csv.filename, 'figures Q3 \u00e4.csv');
      const download = await fetch(base + csv.url, { headers: { cookie: client.cookie } });
      assert.equal(download.status, 200);
      assert.equal(download.headers.get('content-type'), 'application/octet-stream');
      assert.equal(download.headers.get('content-disposition'), `attachment; filename="figures Q3 _.csv"; filename*=UTF-8''figures%20Q3%20%C3%A4.csv`);
      assert.equal(await download.text(), 'quarter,amount\nQ3,42\n');
      const inlineCsv = await fetch(`${base}${csv.url}?inline=1`, { headers: { cookie: client.cookie } });
      assert.match(inlineCsv.headers.get('content-disposition') ?? '', /^attachment;/, 'only images are ever shown inline');

      const raw = await client.get<string>(message.rawUrl);
      assert.equal(raw.status, 200);
      assert.match(raw.body, /Message-ID: <figures@remote\.example>/);
      assert.match(raw.headers.get('content-security-policy') ?? '', /sandbox/);
      const anonymous = await fetch(base + message.rawUrl);
      assert.equal(anonymous.status, 401);
    });

    it('opens broken mail with what could be decoded', async () => {
      const broken = [
        'From: broken@remote.example',
        'Subject: =?x-unknown-charset?Q?caf=E9?=',
        'Content-Type: multipart/mixed; boundary="never-closed"',
        '',
        '--never-closed',
        'Content-Type: text/plain; charset=x-klingon',
        'Content-Transfer-Encoding: x-unknown',
        '',
        'Readable words despite it all.',
      ].join('\r\n');
      const brokenUid = await append(broken);
      const detail = await client.get<MessageDetail>(`${folderUrl('INBOX')}/messages/${brokenUid}`);
      assert.equal(detail.status, 200, JSON.stringify(detail.body));
      assert.match(detail.body.text ?? '', /Readable words despite it all/);

      const hugeLine = `<div>${'<span>word</span> '.repeat(600_000)}</div>`;
      const hugeUid = await append(`From: big@remote.example\r\nSubject: Big\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${hugeLine}\r\n`);
      const big = await client.get<MessageDetail>(`${folderUrl('INBOX')}/messages/${hugeUid}`);
      assert.equal(big.status, 200);
      assert.ok((big.body.html ?? '').length > 5_000_000);
    });

    it('shows the spam report the server stored with a message', async () => {
      const scored = await append(
        'From: offers@remote.example\r\nSubject: Win\r\nX-Spam-Status: Yes, score=7.4 required=5.0 verdict=suspicious ref=7F3K2\r\nX-Spam-Report: * 3.0 BAYES_99 Content looks like spam users reported\r\n * 2.4 RDNS_NONE No reverse DNS\r\n\r\nWin now\r\n',
        'Junk',
      );
      const report = await client.get(`${folderUrl('Junk')}/messages/${scored}/spam-report`);
      SpamReport.parse(report.body);
      assert.deepEqual(report.body, {
        scored: true,
        verdict: 'suspicious',
        score: 7.4,
        threshold: 5,
        reference: '7F3K2',
        reasons: [
          { score: 3, rule: 'BAYES_99', description: 'Content looks like spam users reported' },
          { score: 2.4, rule: 'RDNS_NONE', description: 'No reverse DNS' },
        ],
      });
      const unscored = await client.get(`${folderUrl('INBOX')}/messages/${uid}/spam-report`);
      assert.equal(unscored.body.scored, false);
    });
  });

  describe('actions and search', () => {
    let client: GatewayClient;
    const account = { user: 'actor@example.test', pass: 'actor-password-1' };
    let uids: number[] = [];

    before(async () => {
      assert.equal((await mw.cli(['user', 'add', account.user, '--password', account.pass])).code, 0);
      client = await loggedIn(account);
      uids = [];
      uids.push(await append('From: Erin <erin@remote.example>\r\nTo: actor@example.test\r\nSubject: Budget meeting\r\nDate: Mon, 02 Nov 2026 10:00:00 +0000\r\n\r\nLet us talk about the budget.\r\n', 'INBOX', [], account));
      uids.push(await append('From: Frank <frank@remote.example>\r\nTo: actor@example.test\r\nSubject: Holiday photos\r\nDate: Tue, 10 Nov 2026 10:00:00 +0000\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nSee the photos.\r\n--x\r\nContent-Type: image/jpeg; name=beach.jpg\r\nContent-Disposition: attachment; filename=beach.jpg\r\n\r\nJPEG\r\n--x--\r\n', 'INBOX', ['\\Seen'], account));
      uids.push(await append('From: Erin <erin@remote.example>\r\nTo: actor@example.test\r\nSubject: Cheap pills\r\nDate: Fri, 20 Nov 2026 10:00:00 +0000\r\n\r\nBuy now, tremendous budget savings.\r\n', 'INBOX', [], account));
    });

    async function search(q: string): Promise<string[]> {
      const page = await client.get<MessagePage>(`${folderUrl('INBOX')}/search?q=${encodeURIComponent(q)}`);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      return page.body.messages.map((m) => m.subject).sort();
    }

    it('searches on the server with operators and free text', async () => {
      assert.deepEqual(await search('from:erin'), ['Budget meeting', 'Cheap pills']);
      assert.deepEqual(await search('subject:"holiday photos"'), ['Holiday photos']);
      assert.deepEqual(await search('is:unread'), ['Budget meeting', 'Cheap pills']);
      assert.deepEqual(await search('has:attachment'), ['Holiday photos']);
      assert.deepEqual(await search('budget'), ['Budget meeting', 'Cheap pills']);
      assert.deepEqual(await search('budget -subject:pills'), ['Budget meeting']);
      assert.deepEqual(await search('after:2026-11-05 before:2026-11-15'), ['Holiday photos']);
      const bad = await client.get(`${folderUrl('INBOX')}/search?q=${encodeURIComponent('before:2026-02-30')}`);
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.field, 'q');
    });

    it('flags, marks seen, moves to Junk and back, deletes to Trash and then for good', async () => {
      const [budget, photos, pills] = uids as [number, number, number];
      const act = (folder: string, body: unknown) => client.post(`${folderUrl(folder)}/actions`, body);
      assert.equal((await act('INBOX', { action: 'flag', uids: [budget] })).status, 200);
      assert.equal((await act('INBOX', { action: 'seen', uids: [budget, pills] })).status, 200);
      let page = (await client.get<MessagePage>(`${folderUrl('INBOX')}/messages`)).body;
      const flagged = page.messages.find((m) => m.uid === budget)!;
      assert.equal(flagged.flags.flagged, true);
      assert.equal(flagged.flags.seen, true);
      assert.equal(page.unread, 0);
      await act('INBOX', { action: 'unseen', uids: [pills] });

      const spam = await act('INBOX', { action: 'spam', uids: [pills] });
      assert.equal(spam.status, 200, JSON.stringify(spam.body));
      ActionResult.parse(spam.body);
      assert.equal(spam.body.destination, 'Junk');
      const junkUid = spam.body.uidMap[String(pills)];
      assert.ok(junkUid);
      const junk = (await client.get<MessagePage>(`${folderUrl('Junk')}/messages`)).body;
      assert.deepEqual(junk.messages.map((m) => m.subject), ['Cheap pills']);
      const ham = await act('Junk', { action: 'not-spam', uids: [junkUid] });
      assert.equal(ham.body.destination, 'INBOX');
      assert.equal((await client.get<MessagePage>(`${folderUrl('Junk')}/messages`)).body.messages.length, 0);

      const deleted = await act('INBOX', { action: 'delete', uids: [photos] });
      assert.equal(deleted.body.destination, 'Trash');
      assert.equal(deleted.body.expunged, false);
      const trashUid = deleted.body.uidMap[String(photos)];
      const forGood = await act('Trash', { action: 'delete', uids: [trashUid] });
      assert.equal(forGood.body.expunged, true);
      assert.equal((await client.get<MessagePage>(`${folderUrl('Trash')}/messages`)).body.total, 0);

      const copy = await act('INBOX', { action: 'copy', uids: [budget], destination: 'Archive' });
      assert.equal(copy.status, 200, JSON.stringify(copy.body));
      const moveWithout = await act('INBOX', { action: 'move', uids: [budget] });
      assert.equal(moveWithout.status, 400);
      assert.equal(moveWithout.body.error.field, 'destination');
      const missing = await act('INBOX', { action: 'move', uids: [budget], destination: 'No Such Folder' });
      assert.equal(missing.status, 404);
      page = (await client.get<MessagePage>(`${folderUrl('INBOX')}/messages`)).body;
      assert.ok(page.messages.some((m) => m.uid === budget));
    });
  });

  describe('compose', () => {
    it('uploads an attachment in chunks, sends with Bcc, files the copy in Sent and delivers to the recipient', async () => {
      const client = await loggedIn();
      const file = Buffer.alloc(1_500_000, 0x61);
      const upload = await client.post('/api/uploads', { filename: 'notes.txt', contentType: 'text/plain', size: file.length });
      assert.equal(upload.status, 201);
      const first = await client.request('PUT', `/api/uploads/${upload.body.id}?offset=0`, file.subarray(0, 1024 * 1024), { 'content-type': 'application/octet-stream' });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.body.complete, false);
      const wrongOffset = await client.request('PUT', `/api/uploads/${upload.body.id}?offset=0`, file.subarray(0, 10), { 'content-type': 'application/octet-stream' });
      assert.equal(wrongOffset.status, 409);
      const second = await client.request('PUT', `/api/uploads/${upload.body.id}?offset=${1024 * 1024}`, file.subarray(1024 * 1024), { 'content-type': 'application/octet-stream' });
      assert.equal(second.body.complete, true);

      const sent = await client.post('/api/send', {
        to: [{ name: 'Bob', address: bob.user }],
        bcc: [{ address: 'pager@example.test' }],
        subject: 'Notes for the meeting',
        text: 'Hi Bob, notes attached.',
        html: '<p>Hi Bob, <b>notes</b> attached.</p>',
        attachments: [upload.body.id],
      });
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
      SendResult.parse(sent.body);
      assert.deepEqual(sent.body.accepted.sort(), [bob.user, 'pager@example.test']);
      assert.equal(sent.body.sentFolder, 'Sent');
      assert.ok(sent.body.sentUid);

      const copy = await client.get<MessageDetail>(`${folderUrl('Sent')}/messages/${sent.body.sentUid}`);
      assert.deepEqual(copy.body.bcc, [{ address: 'pager@example.test' }]);
      assert.equal(copy.body.flags.seen, true);
      assert.equal(copy.body.attachments[0]!.filename, 'notes.txt');

      const bobClient = await loggedIn(bob);
      let received: MessagePage['messages'][number] | undefined;
      for (let i = 0; i < 50 && !received; i++) {
        received = (await bobClient.get<MessagePage>(`${folderUrl('INBOX')}/messages`)).body.messages.find((m) => m.subject === 'Notes for the meeting');
        if (!received) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(received);
      const atBob = await bobClient.get<MessageDetail>(`${folderUrl('INBOX')}/messages/${received.uid}`);
      assert.deepEqual(atBob.body.bcc, [], 'Bcc is not shown to the other recipients');
      assert.match(atBob.body.html ?? '', /<b>notes<\/b>/);
      assert.match(atBob.body.headers.find((h) => h.name === 'DKIM-Signature')?.value ?? '', /d=example\.test/);
      const attachment = await fetch(base + atBob.body.attachments[0]!.url, { headers: { cookie: bobClient.cookie } });
      assert.equal((await attachment.arrayBuffer()).byteLength, file.length);

      // The reply threads to the original and marks it answered.
      const reply = await bobClient.post('/api/send', {
        to: [{ address: alice.user }],
        subject: 'Re: Notes for the meeting',
        text: 'Thanks!',
        inReplyTo: received.messageId,
        origin: { folder: 'INBOX', uid: received.uid, kind: 'reply' },
      });
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      const answered = (await bobClient.get<MessagePage>(`${folderUrl('INBOX')}/messages`)).body.messages.find((m) => m.uid === received!.uid)!;
      assert.equal(answered.flags.answered, true);
      const thread = await bobClient.get(`/api/threads/${received.threadId}?folder=INBOX`);
      Thread.parse(thread.body);
      assert.deepEqual(thread.body.messages.map((m: { subject: string }) => m.subject), ['Notes for the meeting', 'Re: Notes for the meeting']);
    });

    it('saves a draft and replaces it with the next version', async () => {
      const client = await loggedIn();
      const first = await client.post('/api/drafts', { to: [{ address: bob.user }], subject: 'Draft one', text: 'first' });
      assert.equal(first.status, 201, JSON.stringify(first.body));
      DraftResult.parse(first.body);
      const second = await client.post('/api/drafts', { to: [{ address: bob.user }], subject: 'Draft two', text: 'second', draftUid: first.body.uid });
      const drafts = (await client.get<MessagePage>(`${folderUrl('Drafts')}/messages`)).body.messages;
      assert.deepEqual(drafts.map((m) => [m.uid, m.subject, m.flags.draft]), [[second.body.uid, 'Draft two', true]]);
      assert.equal((await client.request('DELETE', `/api/drafts/${second.body.uid}`)).status, 204);
      assert.equal((await client.get<MessagePage>(`${folderUrl('Drafts')}/messages`)).body.total, 0);
    });

    it('returns a refused recipient typed with the server reply and keeps the text as a draft', async () => {
      const client = await loggedIn();
      const refused = await client.post('/api/send', { to: [{ address: 'nobody@example.test' }], subject: 'Lost?', text: 'Not lost.' });
      assert.equal(refused.status, 422, JSON.stringify(refused.body));
      ApiError.parse(refused.body);
      assert.equal(refused.body.error.code, 'send_refused');
      assert.match(refused.body.error.serverReply, /^550 5\.1\.1/);
      assert.deepEqual(refused.body.error.rejected, ['nobody@example.test']);
      assert.equal(refused.body.error.draft.folder, 'Drafts');
      const draft = await client.get<MessageDetail>(`${folderUrl('Drafts')}/messages/${refused.body.error.draft.uid}`);
      assert.equal(draft.body.text?.trim(), 'Not lost.');
      await client.request('DELETE', `/api/drafts/${refused.body.error.draft.uid}`);
    });

    it('refuses oversized uploads before buffering them', async () => {
      const client = await loggedIn();
      const tooBig = await client.post('/api/uploads', { filename: 'huge.bin', size: 200 * 1024 * 1024 });
      assert.equal(tooBig.status, 413);
      const upload = await client.post('/api/uploads', { filename: 'small.bin', size: 10 });
      const overflow = await client.request('PUT', `/api/uploads/${upload.body.id}?offset=0`, Buffer.alloc(2 * 1024 * 1024), { 'content-type': 'application/octet-stream' });
      assert.equal(overflow.status, 413);
      assert.equal(overflow.body.error.code, 'too_large');
    });
  });

  describe('push', () => {
    it('streams a new-mail event within 2 s of an SMTP delivery', async () => {
      const client = await loggedIn(bob);
      const controller = new AbortController();
      const response = await fetch(`${base}/api/events?folder=INBOX`, { headers: { cookie: client.cookie }, signal: controller.signal });
      assert.equal(response.headers.get('content-type'), 'text/event-stream');
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      const nextEvent = async (type: string, timeoutMs: number): Promise<any> => {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const match = new RegExp(`event: ${type}\\ndata: (.*)\\n`).exec(buffer);
          if (match) {
            buffer = buffer.slice(match.index + match[0].length);
            return MailEvent.parse(JSON.parse(match[1]!));
          }
          const left = deadline - Date.now();
          if (left <= 0) throw new Error(`no ${type} event within ${timeoutMs} ms; got ${buffer}`);
          const chunk = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), left))]);
          if (chunk && !chunk.done) buffer += chunk.value;
        }
      };
      await nextEvent('ready', 10_000);
      const started = Date.now();
      await deliver(bob.user, 'Pushed to the browser');
      const event = await nextEvent('new', 2000);
      assert.ok(Date.now() - started < 2000);
      assert.equal(event.folder, 'INBOX');
      assert.equal(event.messages[0].subject, 'Pushed to the browser');
      const counts = await nextEvent('counts', 2000);
      assert.ok(counts.unread >= 1);

      // Changes made elsewhere (here through the API's own connection) reach the stream as well.
      const uid = event.messages[0].uid;
      assert.equal((await client.post(`${folderUrl('INBOX')}/actions`, { action: 'seen', uids: [uid] })).status, 200);
      const flags = await nextEvent('flags', 2000);
      assert.deepEqual([flags.uid, flags.flags.seen], [uid, true]);
      assert.equal((await nextEvent('counts', 2000)).unread, counts.unread - 1);
      assert.equal((await client.post(`${folderUrl('INBOX')}/actions`, { action: 'delete', uids: [uid] })).status, 200);
      const expunge = await nextEvent('expunge', 2000);
      assert.deepEqual(expunge.uids, [uid]);
      controller.abort();
    });
  });
});
