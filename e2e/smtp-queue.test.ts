import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDnsServer, type TestDnsServer } from './dns-server.ts';
import { startWithUser, type Mailwerk } from './harness.ts';
import { closedPort, submissionTransport, waitForMailbox } from './mail-helpers.ts';
import { startSink, type SmtpSink } from './smtp-sink.ts';

/**
 * The queue when the remote is down: retries with backoff, a delay warning, a final bounce once the
 * lifetime is over, and delivery as soon as the remote is back. Times are shortened by configuration.
 */
describe('outbound queue with a remote that is down', () => {
  let mw: Mailwerk;
  let dns: TestDnsServer;
  let port: number;
  let sink: SmtpSink | undefined;
  const user = 'alice@example.test';
  const password = 'alice-password-1';

  before(async () => {
    port = await closedPort();
    dns = await startDnsServer({ 'down.test': { MX: [{ exchange: 'mx.down.test', priority: 5 }] }, 'mx.down.test': { A: ['127.0.0.1'] } });
    mw = await startWithUser(user, password, {
      MAILWERK_DNS: dns.address,
      MAILWERK_QUEUE_MX_PORT: String(port),
      MAILWERK_QUEUE_RETRY_BASE: '1s',
      MAILWERK_QUEUE_MAX_RETRY: '1s',
      MAILWERK_QUEUE_WARN_AFTER: '2s',
      MAILWERK_QUEUE_LIFETIME: '6s',
    });
  });
  after(async () => {
    await mw?.cleanup();
    await sink?.close();
    await dns?.close();
  });

  const send = (subject: string) => submissionTransport(mw, user, password).sendMail({ from: user, to: 'carol@down.test', subject, text: 'Are you there?' });
  const inboxUntil = (done: (sources: string[]) => boolean) => waitForMailbox(mw, user, password, done);

  it('keeps retrying, warns the sender, then bounces when the lifetime is over', async () => {
    const info = await send('Nobody home');
    const queueId = /Queued as (\S+)/.exec(info.response)![1]!;
    await new Promise((r) => setTimeout(r, 1500));
    const listed = await mw.cli(['queue', 'list']);
    assert.match(listed.stdout, new RegExp(`^${queueId}\\t.*<${user}>\\tsubmission$`, 'm'));
    assert.match(listed.stdout, /\tcarol@down\.test\tqueued\t[1-9]\d* attempts\tnext .*cannot talk to mx\.down\.test/);

    const warned = await inboxUntil((s) => s.some((m) => /Action: delayed/.test(m)));
    const warning = warned.find((m) => /Action: delayed/.test(m))!;
    assert.match(warning, /Subject: Delayed Mail/);
    assert.match(warning, /Status: 4\.4\.1/);
    assert.match(warning, /Will-Retry-Until: /);

    const bounced = await inboxUntil((s) => s.some((m) => /Action: failed/.test(m)));
    const bounce = bounced.find((m) => /Action: failed/.test(m))!;
    assert.match(bounce, /Final-Recipient: rfc822; ?carol@down\.test/);
    assert.match(bounce, /Status: 4\.4\.7/);
    assert.match(bounce, /Subject: Nobody home/);
    assert.equal(bounced.filter((m) => /Action: delayed/.test(m)).length, 1, 'one warning, not one per attempt');
    assert.match((await mw.cli(['queue', 'list'])).stdout, /^0 message\(s\) in the queue/m);
  });

  it('delivers as soon as the remote is back and `queue retry` is asked', async () => {
    await send('Second try');
    await new Promise((r) => setTimeout(r, 500));
    sink = await startSink({ port });
    const retried = await mw.cli(['queue', 'retry']);
    assert.equal(retried.code, 0, retried.stderr);
    const [delivered] = await sink.waitFor(1);
    assert.match(delivered!.raw.toString(), /Subject: Second try/);
    assert.ok(delivered!.secure);
  });

  it('deletes a message on request', async () => {
    await sink!.close();
    sink = undefined;
    const info = await send('Never mind');
    const queueId = /Queued as (\S+)/.exec(info.response)![1]!;
    const deleted = await mw.cli(['queue', 'delete', queueId]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match((await mw.cli(['queue', 'list'])).stdout, /^0 message\(s\) in the queue/m);
    const missing = await mw.cli(['queue', 'delete', queueId]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /no queued message/);
  });
});
