import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ComposeRequest } from '../../shared/compose.ts';
import { composeMessage, envelopeRecipients } from './compose.ts';

describe('compose', () => {
  const request = ComposeRequest.parse({
    to: [{ name: 'Bob Example', address: 'bob@example.test' }],
    cc: [{ address: 'carol@example.test' }, { address: 'BOB@example.test' }],
    bcc: [{ address: 'dave@example.test' }],
    subject: 'Grüße',
    text: 'plain',
    html: '<p>rich</p>',
    inReplyTo: 'orig@example.test',
  });

  it('hides Bcc from the transmitted copy but keeps it in the stored one, with one Message-ID', async () => {
    const message = await composeMessage('alice@example.test', request, [{ filename: 'a.txt', contentType: 'text/plain', content: Buffer.from('file') }], new Date('2026-11-28T10:00:00Z'));
    const sent = message.transmitted.toString();
    const kept = message.kept.toString();
    assert.doesNotMatch(sent, /^Bcc:/im);
    assert.match(kept, /^Bcc: dave@example\.test/im);
    for (const copy of [sent, kept]) {
      assert.match(copy, new RegExp(`^Message-ID: ${message.messageId.replace(/[.]/g, '\\.')}`, 'im'));
      assert.match(copy, /^In-Reply-To: <orig@example\.test>/im);
      assert.match(copy, /^References: <orig@example\.test>/im);
      assert.match(copy, /^Subject: =\?UTF-8\?/im);
      assert.match(copy, /multipart\/mixed/);
      assert.match(copy, /multipart\/alternative/);
      assert.match(copy, /filename=a\.txt/);
    }
    assert.match(message.messageId, /^<[0-9a-f]{32}@example\.test>$/);
  });

  it('addresses every distinct recipient once, Bcc included', () => {
    assert.deepEqual(envelopeRecipients(request), ['bob@example.test', 'carol@example.test', 'dave@example.test']);
  });
});
