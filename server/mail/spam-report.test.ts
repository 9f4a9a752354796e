import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseHeaderBlock } from './header-block.ts';
import { parseSpamReport } from './spam-report.ts';

describe('spam report headers', () => {
  it('reads verdict, score, threshold, reference and folded reasons', () => {
    const headers = parseHeaderBlock(
      Buffer.from('X-Spam-Status: Yes, score=12.5 required=5.0 verdict=spam ref=AB12C\r\nX-Spam-Report: * 6.0 DNSBL_HIT Listed on bl.example.org\r\n\t* -0.5 SPF_PASS Sender authorised by SPF\r\n\r\nbody'),
    );
    assert.deepEqual(parseSpamReport(headers), {
      scored: true,
      verdict: 'spam',
      score: 12.5,
      threshold: 5,
      reference: 'AB12C',
      reasons: [
        { score: 6, rule: 'DNSBL_HIT', description: 'Listed on bl.example.org' },
        { score: -0.5, rule: 'SPF_PASS', description: 'Sender authorised by SPF' },
      ],
    });
  });

  it('takes Yes/No without a verdict word, and reports unscored mail as such', () => {
    assert.equal(parseSpamReport(parseHeaderBlock(Buffer.from('X-Spam-Status: No, score=0.3 required=5.0\r\n'))).verdict, 'ham');
    assert.equal(parseSpamReport(parseHeaderBlock(Buffer.from('X-Spam-Status: Yes, score=6\r\n'))).verdict, 'suspicious');
    assert.deepEqual(parseSpamReport(parseHeaderBlock(Buffer.from('Subject: hi\r\n'))), { scored: false, verdict: null, score: null, threshold: null, reference: null, reasons: [] });
  });
});

describe('header block', () => {
  it('unfolds, decodes encoded words and keeps order', () => {
    const headers = parseHeaderBlock(Buffer.from('Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n  aus Wien\r\nX-A: 1\r\nX-A: 2\r\n\r\n'));
    assert.deepEqual(headers, [
      { name: 'Subject', value: 'Grüße aus Wien' },
      { name: 'X-A', value: '1' },
      { name: 'X-A', value: '2' },
    ]);
  });

  it('reads raw 8-bit headers as UTF-8, falling back to Latin-1', () => {
    assert.equal(parseHeaderBlock(Buffer.from('Subject: café\r\n'))[0]!.value, 'café');
    assert.equal(parseHeaderBlock(Buffer.from('Subject: caf\xe9\r\n', 'latin1'))[0]!.value, 'café');
  });
});
