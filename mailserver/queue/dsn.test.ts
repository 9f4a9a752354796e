import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMessageSync } from '../mime/parse.ts';
import { decodePart } from '../mime/section.ts';
import type { MimePart, ParsedMessage } from '../mime/types.ts';
import { composeDsn, type DsnInput, type DsnRecipient } from './dsn.ts';

const ORIGINAL_HEADER =
  'From: Alice <alice@example.com>\r\n' +
  'To: bob@example.org, carol@example.net\r\n' +
  'Subject: Hello\r\n' +
  'Message-ID: <m1@example.com>\r\n' +
  'X-Long: a folded\r\n' +
  '  header line\r\n';
const ORIGINAL = Buffer.from(`${ORIGINAL_HEADER}\r\nHi Bob,\r\n--not-a-boundary\r\nbye\r\n`, 'latin1');

const FAILED: DsnRecipient = {
  address: 'bob@example.org',
  originalRecipient: 'rfc822;Bob@Example.org',
  action: 'failed',
  status: '5.1.1',
  diagnostic: '550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown',
  remoteMta: 'dns; mx.example.org',
  lastAttempt: new Date('2026-03-03T09:59:00Z'),
};

const DELAYED: DsnRecipient = {
  address: 'carol@example.net',
  action: 'delayed',
  status: '4.4.1',
  diagnostic: 'connect to mx.example.net[192.0.2.1]:25: Connection timed out',
  remoteMta: 'mx.example.net',
  lastAttempt: new Date('2026-03-03T09:58:00Z'),
  willRetryUntil: new Date('2026-03-06T09:00:00Z'),
};

function input(overrides: Partial<DsnInput> = {}): DsnInput {
  return {
    reportingMta: 'mail.example.com',
    postmaster: 'MAILER-DAEMON@mail.example.com',
    to: 'alice@example.com',
    envelopeId: 'QQ314159',
    arrivalDate: new Date('2026-03-01T09:00:00Z'),
    recipients: [FAILED, DELAYED],
    original: ORIGINAL,
    now: new Date('2026-03-03T10:00:00Z'),
    messageId: 'dsn-1@mail.example.com',
    ...overrides,
  };
}

function child(part: MimePart, index: number): MimePart {
  const c = part.children[index];
  assert.ok(c, `part ${part.path} has child ${index}`);
  return c;
}

function body(raw: Buffer, part: MimePart): Buffer {
  return raw.subarray(part.bodyStart, part.bodyEnd);
}

function text(raw: Buffer, part: MimePart): string {
  const decoded = decodePart(raw, part);
  assert.ok(decoded, 'known transfer encoding');
  return decoded.toString('utf8');
}

/** Top-level header fields, unfolded, as [name, value] pairs. */
function topHeader(raw: Buffer, msg: ParsedMessage): [string, string][] {
  return fields(raw.toString('utf8', 0, msg.root.bodyStart));
}

function fields(block: string): [string, string][] {
  return block
    .replace(/\r\n(?=[ \t])/g, '')
    .split('\r\n')
    .filter((line) => line !== '')
    .map((line) => {
      const colon = line.indexOf(':');
      assert.ok(colon > 0, `a field: ${JSON.stringify(line)}`);
      return [line.slice(0, colon), line.slice(colon + 1).trim()];
    });
}

/** The delivery-status body as field groups: [per-message, recipient 1, recipient 2, …]. */
function statusGroups(raw: Buffer, part: MimePart): [string, string][][] {
  const content = body(raw, part).toString('latin1').replace(/\r\n$/, '');
  return content.split('\r\n\r\n').map(fields);
}

function dsn(overrides: Partial<DsnInput> = {}): { raw: Buffer; msg: ParsedMessage } {
  const raw = composeDsn(input(overrides));
  return { raw, msg: parseMessageSync(raw) };
}

function assertCrlfOnly(raw: Buffer): void {
  const s = raw.toString('latin1');
  assert.equal(/(?<!\r)\n/.test(s), false, 'no bare LF');
  assert.equal(/\r(?!\n)/.test(s), false, 'no bare CR');
  for (const line of s.split('\r\n')) assert.ok(line.length <= 998, `line within 998 octets (${line.length})`);
}

describe('composeDsn: structure', () => {
  const { raw, msg } = dsn();

  it('is a multipart/report of delivery-status with three parts', () => {
    assert.equal(msg.root.type, 'multipart');
    assert.equal(msg.root.subtype, 'report');
    assert.equal(msg.root.params['report-type'], 'delivery-status');
    assert.ok(msg.root.params.boundary);
    assert.deepEqual(
      msg.root.children.map((c) => `${c.path} ${c.type}/${c.subtype}`),
      ['1 text/plain', '2 message/delivery-status', '3 text/rfc822-headers'],
    );
    assert.equal(child(msg.root, 0).params.charset, 'utf-8');
  });

  it('has the RFC 5322 / RFC 3834 header fields, each once', () => {
    const header = topHeader(raw, msg);
    const names = header.map(([n]) => n);
    const once = ['From', 'To', 'Subject', 'Date', 'Message-ID', 'MIME-Version', 'Auto-Submitted', 'Content-Type'];
    for (const name of once) assert.equal(names.filter((n) => n === name).length, 1, name);
    const get = (name: string): string | undefined => header.find(([n]) => n === name)?.[1];
    assert.equal(get('From'), 'Mail Delivery System <MAILER-DAEMON@mail.example.com>');
    assert.equal(get('To'), '<alice@example.com>');
    assert.equal(get('Auto-Submitted'), 'auto-replied');
    assert.equal(get('Date'), 'Tue, 03 Mar 2026 10:00:00 +0000');
    assert.equal(msg.subject, 'Undelivered Mail Returned to Sender');
    assert.equal(msg.messageId, 'dsn-1@mail.example.com');
    assert.equal(msg.sentDate, Date.parse('2026-03-03T10:00:00Z'));
    assert.deepEqual(msg.envelope.to, [{ name: null, adl: null, mailbox: 'alice', host: 'example.com' }]);
  });

  it('uses CRLF everywhere and no line over 998 octets', () => {
    assertCrlfOnly(raw);
    assert.ok(raw.toString('latin1').endsWith(`--${msg.root.params.boundary}--\r\n`));
  });

  it('is deterministic for a fixed clock and Message-ID', () => {
    assert.deepEqual(composeDsn(input()), raw);
  });

  it('refuses a report without recipients (RFC 3464 needs one per-recipient group)', () => {
    assert.throws(() => composeDsn(input({ recipients: [] })), TypeError);
  });
});

describe('composeDsn: delivery-status fields', () => {
  const { raw, msg } = dsn();
  const groups = statusGroups(raw, child(msg.root, 1));

  it('has the per-message fields, then one group per recipient', () => {
    assert.equal(groups.length, 3);
    assert.deepEqual(groups[0], [
      ['Reporting-MTA', 'dns; mail.example.com'],
      ['Original-Envelope-Id', 'QQ314159'],
      ['Arrival-Date', 'Sun, 01 Mar 2026 09:00:00 +0000'],
    ]);
  });

  it('reports the failed recipient with status, remote MTA and diagnostic', () => {
    assert.deepEqual(groups[1], [
      ['Original-Recipient', 'rfc822; Bob@Example.org'],
      ['Final-Recipient', 'rfc822; bob@example.org'],
      ['Action', 'failed'],
      ['Status', '5.1.1'],
      ['Remote-MTA', 'dns; mx.example.org'],
      ['Diagnostic-Code', 'smtp; 550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown'],
      ['Last-Attempt-Date', 'Tue, 03 Mar 2026 09:59:00 +0000'],
    ]);
  });

  it('reports the delayed recipient with Will-Retry-Until', () => {
    assert.deepEqual(groups[2], [
      ['Final-Recipient', 'rfc822; carol@example.net'],
      ['Action', 'delayed'],
      ['Status', '4.4.1'],
      ['Remote-MTA', 'dns; mx.example.net'],
      ['Diagnostic-Code', 'smtp; connect to mx.example.net[192.0.2.1]:25: Connection timed out'],
      ['Last-Attempt-Date', 'Tue, 03 Mar 2026 09:58:00 +0000'],
      ['Will-Retry-Until', 'Fri, 06 Mar 2026 09:00:00 +0000'],
    ]);
  });

  it('folds a long diagnostic at spaces within 78 characters', () => {
    const part = body(raw, child(msg.root, 1)).toString('latin1');
    for (const line of part.split('\r\n')) assert.ok(line.length <= 78, line);
    assert.match(part, /\r\nDiagnostic-Code: smtp; 550 5\.1\.1 [^\r]*\r\n [^\r]+\r\n/);
  });

  it('joins a multi-line SMTP reply into one diagnostic', () => {
    const reply = '550-5.1.1 The account does not exist.\r\n550-5.1.1 Please check\r\n550 5.1.1 the address. x1si';
    const one = dsn({ recipients: [{ ...FAILED, diagnostic: reply }] });
    const group = statusGroups(one.raw, child(one.msg.root, 1))[1] ?? [];
    assert.deepEqual(group.find(([n]) => n === 'Diagnostic-Code'), [
      'Diagnostic-Code',
      'smtp; 550 5.1.1 The account does not exist. Please check the address. x1si',
    ]);
  });

  it('falls back to the enhanced code of the reply, then to X.0.0 of the action', () => {
    const bad = dsn({
      recipients: [
        { ...FAILED, status: 'bogus', diagnostic: '554 5.7.1 Relay access denied' },
        { address: 'x@example.org', action: 'failed', status: '' },
        { address: 'y@example.org', action: 'delayed', status: '9.9.9' },
      ],
    });
    const statuses = statusGroups(bad.raw, child(bad.msg.root, 1))
      .slice(1)
      .map((g) => g.find(([n]) => n === 'Status')?.[1]);
    assert.deepEqual(statuses, ['5.7.1', '5.0.0', '4.0.0']);
  });
});

describe('composeDsn: human-readable part', () => {
  const { raw, msg } = dsn();
  const notice = text(raw, child(msg.root, 0));
  const flat = notice.replace(/\s+/g, ' ');

  it('names the recipients, the reason, the remote reply and the retry limit', () => {
    assert.match(notice, /could not be delivered/);
    assert.match(notice, /bob@example\.org\r\n {4}Reason: The recipient's mailbox does not exist \(status 5\.1\.1\)/);
    assert.match(notice, /The receiving server mx\.example\.org replied:/);
    assert.match(flat, /550 5\.1\.1 <bob@example\.org>: Recipient address rejected: User unknown/);
    assert.match(notice, /carol@example\.net/);
    assert.match(notice, /Will keep trying until: Fri, 06 Mar 2026 09:00:00 \+0000/);
    assert.match(notice, /What you can do:/);
    assert.match(notice, /typing mistakes/);
    assert.match(notice, /The header of your message is attached/);
  });

  it('explains the status code when there is no diagnostic at all', () => {
    const bare = dsn({ recipients: [{ address: 'dave@example.org', action: 'failed', status: '5.2.2' }] });
    const t = text(bare.raw, child(bare.msg.root, 0));
    assert.match(t, /dave@example\.org\r\n {4}Reason: The recipient's mailbox is full \(status 5\.2\.2\)/);
    assert.match(t, /mailbox is full\. Try again later/);
  });

  it('chooses the subject from the actions', () => {
    assert.equal(dsn({ recipients: [DELAYED] }).msg.subject, 'Delayed Mail (still being retried)');
    const delayedText = dsn({ recipients: [DELAYED] });
    const delayedNotice = text(delayedText.raw, child(delayedText.msg.root, 0)).replace(/\s+/g, ' ');
    assert.match(delayedNotice, /do not need to send the message again/);
    assert.equal(
      dsn({ recipients: [{ address: 'e@example.org', action: 'delivered', status: '2.0.0' }] }).msg.subject,
      'Successful Mail Delivery Report',
    );
  });
});

describe('composeDsn: the returned original', () => {
  it('returns the header only by default, as text/rfc822-headers', () => {
    const { raw, msg } = dsn();
    const part = child(msg.root, 2);
    assert.equal(`${part.type}/${part.subtype}`, 'text/rfc822-headers');
    assert.equal(body(raw, part).toString('latin1'), ORIGINAL_HEADER);
    assert.equal(raw.includes('Hi Bob'), false);
  });

  it('returns the whole message as message/rfc822 for RET=FULL', () => {
    const { raw, msg } = dsn({ returnFullMessage: true });
    const part = child(msg.root, 2);
    assert.equal(`${part.type}/${part.subtype}`, 'message/rfc822');
    assert.deepEqual(body(raw, part), ORIGINAL);
    assert.equal(part.envelope?.subject, 'Hello');
    assert.equal(msg.root.children.length, 3);
    assert.match(text(raw, child(msg.root, 0)), /Your message is attached below/);
  });

  it('returns only the header when the message is over the cap', () => {
    const { raw, msg } = dsn({ returnFullMessage: true, maxOriginalBytes: ORIGINAL.length - 1 });
    const part = child(msg.root, 2);
    assert.equal(`${part.type}/${part.subtype}`, 'text/rfc822-headers');
    assert.equal(body(raw, part).toString('latin1'), ORIGINAL_HEADER);
    assert.match(text(raw, child(msg.root, 0)), new RegExp(`\\(${ORIGINAL.length} bytes\\) is too large`));
    const exact = dsn({ returnFullMessage: true, maxOriginalBytes: ORIGINAL.length });
    assert.equal(child(exact.msg.root, 2).subtype, 'rfc822');
  });

  it('has a default cap of 256 KiB', () => {
    const big = Buffer.concat([ORIGINAL, Buffer.alloc(300 * 1024, 'x\r\n')]);
    const { msg } = dsn({ original: big, returnFullMessage: true });
    assert.equal(child(msg.root, 2).subtype, 'rfc822-headers');
  });

  it('cuts a header over the cap at a field boundary', () => {
    const { raw, msg } = dsn({ maxOriginalBytes: ORIGINAL_HEADER.length - 5 });
    const kept = ORIGINAL_HEADER.slice(0, ORIGINAL_HEADER.indexOf('X-Long'));
    assert.equal(body(raw, child(msg.root, 2)).toString('latin1'), kept);
    assert.match(text(raw, child(msg.root, 0)), /shortened/);
  });

  it('turns bare LF and CR of the original into CRLF', () => {
    const lf = Buffer.from('From: a@example.com\nSubject: lf\n\nline one\rline two\n', 'latin1');
    for (const returnFullMessage of [false, true]) {
      const { raw, msg } = dsn({ original: lf, returnFullMessage });
      assertCrlfOnly(raw);
      assert.equal(msg.root.children.length, 3);
    }
    const { raw, msg } = dsn({ original: lf, returnFullMessage: true });
    assert.equal(
      body(raw, child(msg.root, 2)).toString('latin1'),
      'From: a@example.com\r\nSubject: lf\r\n\r\nline one\r\nline two\r\n',
    );
  });

  it('labels an 8-bit original 8bit, on the part and on the message', () => {
    const utf8 = Buffer.from('From: a@example.com\r\nSubject: Grüße\r\n\r\nÄpfel\r\n', 'utf8');
    const { raw, msg } = dsn({ original: utf8, returnFullMessage: true });
    assert.equal(msg.root.encoding, '8BIT');
    assert.equal(child(msg.root, 2).encoding, '8BIT');
    assert.deepEqual(body(raw, child(msg.root, 2)), utf8);
  });
});

const RECIPIENT_FIELDS = ['Final-Recipient', 'Action', 'Status', 'Remote-MTA', 'Diagnostic-Code'];

describe('composeDsn: untrusted values', () => {
  const first = dsn({ returnFullMessage: true });
  const guessed = first.msg.root.params.boundary ?? '';
  const evil: DsnRecipient = {
    ...FAILED,
    address: 'bob@example.org\r\nX-Injected-Address: 1',
    originalRecipient: 'rfc822;bob@example.org\r\nX-Injected-Orcpt: 1',
    remoteMta: 'dns; mx.example.org\r\nX-Injected-Mta: 1',
    diagnostic:
      `550 x\r\nBcc: evil@x\r\n\r\n--${guessed}\r\nContent-Type: text/html\r\n\r\n<b>boo</b>\r\n` +
      `--${guessed}--\u0000\u001b[31m`,
  };
  // The original itself carries delimiter lines of the boundary an earlier report used.
  const fakePart = `--${guessed}\r\nContent-Type: text/html\r\n\r\nx\r\n--${guessed}--\r\n`;
  const original = Buffer.concat([ORIGINAL, Buffer.from(fakePart, 'latin1')]);
  const { raw, msg } = dsn({
    recipients: [evil, DELAYED],
    envelopeId: 'env\r\nX-Injected-Envid: 1',
    to: 'alice@example.com>\r\nBcc: evil@x',
    original,
    returnFullMessage: true,
  });
  const boundary = msg.root.params.boundary ?? '';

  it('adds no header field and no part', () => {
    assert.equal(msg.bcc, '');
    const names = topHeader(raw, msg).map(([n]) => n);
    assert.deepEqual(names, [
      'From',
      'To',
      'Subject',
      'Date',
      'Message-ID',
      'MIME-Version',
      'Auto-Submitted',
      'Content-Type',
      'Content-Transfer-Encoding',
    ]);
    assert.deepEqual(
      msg.root.children.map((c) => `${c.type}/${c.subtype}`),
      ['text/plain', 'message/delivery-status', 'message/rfc822'],
    );
    assert.equal(child(msg.root, 0).children.length, 0);
    assert.doesNotMatch(raw.toString('latin1'), /\r\n(Bcc|X-Injected[\w-]*):/);
    assertCrlfOnly(raw);
  });

  it('uses a boundary that occurs nowhere in the content', () => {
    assert.notEqual(boundary, guessed);
    assert.equal(original.includes(boundary), false);
    assert.equal(raw.toString('latin1').split(boundary).length - 1, 5, 'parameter, three delimiters, close-delimiter');
    assert.deepEqual(body(raw, child(msg.root, 2)), original);
  });

  it('keeps the delivery-status groups to their own fields, values on one logical line', () => {
    const groups = statusGroups(raw, child(msg.root, 1));
    assert.equal(groups.length, 3);
    assert.deepEqual(
      groups.map((g) => g.map(([n]) => n)),
      [
        ['Reporting-MTA', 'Original-Envelope-Id', 'Arrival-Date'],
        ['Original-Recipient', ...RECIPIENT_FIELDS, 'Last-Attempt-Date'],
        [...RECIPIENT_FIELDS, 'Last-Attempt-Date', 'Will-Retry-Until'],
      ],
    );
    const get = (g: number, name: string): string | undefined => groups[g]?.find(([n]) => n === name)?.[1];
    assert.equal(get(0, 'Original-Envelope-Id'), 'env X-Injected-Envid: 1');
    assert.equal(get(1, 'Remote-MTA'), 'dns; mx.example.orgX-Injected-Mta:1');
    const diagnostic = get(1, 'Diagnostic-Code') ?? '';
    assert.ok(diagnostic.startsWith('smtp; 550 x Bcc: evil@x --'), diagnostic);
    assert.doesNotMatch(diagnostic, /[\u0000-\u001f\u007f]/);
  });

  it('quotes the diagnostic in the notice without letting it start a line', () => {
    const notice = text(raw, child(msg.root, 0));
    assert.match(notice, /550 x Bcc: evil@x/);
    for (const line of notice.split('\r\n')) assert.doesNotMatch(line, /^(--|Bcc:|Content-Type:)/);
  });

  it('caps a huge diagnostic and keeps every line within 998 octets', () => {
    const huge = `550 5.1.1 ${'word '.repeat(3000)}${'x'.repeat(5000)}`;
    const big = dsn({ recipients: [{ ...FAILED, diagnostic: huge }] });
    assertCrlfOnly(big.raw);
    const diag = statusGroups(big.raw, child(big.msg.root, 1))[1]?.find(([n]) => n === 'Diagnostic-Code')?.[1] ?? '';
    assert.ok(diag.length < 1000, `capped (${diag.length})`);
    assert.ok(diag.endsWith('...'));
    assert.ok(big.raw.length < 12_000);
  });
});

describe('composeDsn: international addresses', () => {
  const { raw, msg } = dsn({
    to: 'jürgen@bücher.example',
    recipients: [
      { ...FAILED, address: 'müller@bücher.example', originalRecipient: 'utf-8;m\\x{FC}ller+tag@b\\x{FC}cher.example' },
      { ...DELAYED, address: 'carol@bücher.example' },
    ],
  });

  it('uses the utf-8 address type with RFC 6533 xtext, keeping the report 7-bit', () => {
    const part = body(raw, child(msg.root, 1));
    assert.equal(/[^\x00-\x7f]/.test(part.toString('latin1')), false);
    const groups = statusGroups(raw, child(msg.root, 1));
    const get = (g: number, name: string): string | undefined => groups[g]?.find(([n]) => n === name)?.[1];
    assert.equal(get(1, 'Final-Recipient'), 'utf-8; m\\x{FC}ller@b\\x{FC}cher.example');
    assert.equal(get(1, 'Original-Recipient'), 'utf-8; m\\x{FC}ller\\x{2B}tag@b\\x{FC}cher.example');
    // An ASCII local part with an IDN domain becomes an ASCII address with A-labels.
    assert.equal(get(2, 'Final-Recipient'), 'rfc822; carol@xn--bcher-kva.example');
  });

  it('writes a non-ASCII sender as UTF-8 (RFC 6532) and shows addresses readably', () => {
    assert.deepEqual(msg.envelope.to, [{ name: null, adl: null, mailbox: 'jürgen', host: 'bücher.example' }]);
    assertCrlfOnly(raw);
    const notice = text(raw, child(msg.root, 0));
    assert.match(notice, /müller@bücher\.example/);
    assert.equal(child(msg.root, 0).encoding, 'QUOTED-PRINTABLE');
  });
});
