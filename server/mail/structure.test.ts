import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MessageStructureObject } from 'imapflow';
import { bodyParts, hasAttachments, previewPart } from './structure.ts';

const leaf = (part: string, type: string, extra: Partial<MessageStructureObject> = {}): MessageStructureObject => ({ part, type, size: 100, encoding: '7bit', ...extra });

describe('MIME structure', () => {
  it('picks the plain and HTML bodies out of mixed/related/alternative and lists the rest', () => {
    const structure: MessageStructureObject = {
      type: 'multipart/mixed',
      childNodes: [
        {
          part: '1',
          type: 'multipart/related',
          childNodes: [
            { part: '1.1', type: 'multipart/alternative', childNodes: [leaf('1.1.1', 'text/plain', { parameters: { charset: 'utf-8' } }), leaf('1.1.2', 'text/html')] },
            leaf('1.2', 'image/png', { id: '<logo@x>', disposition: 'inline' }),
          ],
        },
        leaf('2', 'application/pdf', { disposition: 'attachment', dispositionParameters: { filename: 'invoice.pdf' } }),
        leaf('3', 'text/plain', { disposition: 'attachment', dispositionParameters: { filename: 'notes.txt' } }),
        leaf('4', 'message/rfc822'),
      ],
    };
    const parts = bodyParts(structure);
    assert.equal(parts.text?.part, '1.1.1');
    assert.equal(parts.text?.charset, 'utf-8');
    assert.equal(parts.html?.part, '1.1.2');
    assert.deepEqual(parts.attachments.map((a) => [a.part, a.filename, a.contentId]), [
      ['1.2', null, 'logo@x'],
      ['2', 'invoice.pdf', null],
      ['3', 'notes.txt', null],
      ['4', null, null],
    ]);
    assert.equal(hasAttachments(structure), true);
    assert.equal(previewPart(structure)?.part, '1.1.1');
  });

  it('treats a single-part message as part 1 and inline images alone as no attachment', () => {
    assert.equal(bodyParts({ type: 'text/html' }).html?.part, '1');
    const related: MessageStructureObject = { type: 'multipart/related', childNodes: [leaf('1', 'text/html'), leaf('2', 'image/gif', { id: '<a@b>' })] };
    assert.equal(hasAttachments(related), false);
    assert.equal(previewPart(related)?.type, 'text/html');
    assert.equal(previewPart(undefined), null);
  });

  it('strips control characters from file names', () => {
    const parts = bodyParts({ type: 'multipart/mixed', childNodes: [leaf('1', 'text/plain'), leaf('2', 'application/zip', { parameters: { name: 'a\r\nb\u0000.zip' } })] });
    assert.equal(parts.attachments[0]!.filename, 'ab.zip');
  });
});
